"""Progress bars are drawn only for a person at a terminal; logs get plain lines."""

from __future__ import annotations

import io

from sentilab.progress import show_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert show_progress() is False and show_progress(True) is False


def test_a_bar_on_a_terminal_unless_it_was_turned_off(monkeypatch):
    monkeypatch.setattr("sys.stderr", _Terminal())
    assert show_progress() is True and show_progress(None) is True and show_progress(False) is False


def test_a_verbose_fit_in_a_log_prints_lines_without_carriage_returns(monkeypatch, capfd):
    from sentilab.models import create_model

    from .conftest import SIX_LABELS, SIX_TEXTS

    create_model("numpy-lstm", min_freq=1, epochs=2, validation_fraction=0.0, verbose=True).fit(
        SIX_TEXTS, SIX_LABELS
    )
    err = capfd.readouterr().err
    assert "epoch 1/2" in err and "\r" not in err
