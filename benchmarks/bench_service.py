"""The HTTP service under concurrent load: requests/s, p50/p99 latency and errors for N clients on loopback.

    python benchmarks/bench_service.py                       # the default model; N = 1, 10, 50
    python benchmarks/bench_service.py --model runs/bow      # a saved model
    python benchmarks/bench_service.py --clients 1,10,50 --requests 40 --time-limit 60

The server is ``sentilab serve`` in its own process on 127.0.0.1 (a free port), so the clients do not share
its interpreter; readiness is polled on /healthz. Each client is an asyncio task with its own keep-alive
connection that sends ``--requests`` requests one after another; a level stops early when ``--time-limit``
seconds pass (requests not sent are reported, never counted as errors). An error is any answer other than
200 or any transport failure. Latency is reported twice: as the clients see it (p50/p99 ms, which on a busy
machine includes the client process waiting for CPU) and as the app measured it (``Server-Timing``: parsing,
queueing for the model, the model call and serialisation; network and clients excluded). Scenarios:

* ``predict 1``: ``POST /v1/predict`` with one tweet-like text (the common case);
* ``predict 32``: with 32 texts per request;
* ``analyze``: ``POST /v1/analyze`` with a ~600-word speech (about 6 paragraphs).

Goal: 0 errors with 50 concurrent clients. Only loopback traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tokenize import tweet_like_texts  # noqa: E402 - the same generator as the other benchmarks

SPEECH_SENTENCES = [
    "Thank you all so much for being here tonight.",
    "We have built something wonderful together, and I am proud of every one of you.",
    "But too many families are still struggling, and that is not acceptable.",
    "Our schools are better, our streets are safer, and our economy is growing.",
    "We will not rest until every worker has a fair wage and a secure job.",
    "The other side has offered nothing but fear and division.",
    "I believe in this country, and I believe our best days are ahead of us.",
    "It has been a hard year, and many of you have lost someone you love.",
]


def speech(words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    while sum(len(s.split()) for s in out) < words:
        out.append(rng.choice(SPEECH_SENTENCES))
        if rng.random() < 0.15:
            out.append("\n\n")
    return " ".join(out)


def start_server(model: str | None):
    """``sentilab serve`` on a free loopback port, ready (the default model may be trained on first use)."""
    from sentilab.service.server import ServeProcess

    server = ServeProcess(["--no-access-log", *(["--model", model] if model else [])])
    try:
        server.wait_ready(timeout=900)
    except RuntimeError as exc:
        server.stop()
        raise SystemExit(str(exc)) from None
    return server


async def run_level(url: str, clients: int, requests: int, time_limit: float, make_body) -> dict:
    """``clients`` concurrent clients, ``requests`` each, stopping at ``time_limit`` seconds."""
    import httpx

    latencies: list[float] = []
    server_ms: list[
        float
    ] = []  # the app's own time per request (Server-Timing), queueing for the model included
    errors: dict[str, int] = {}
    not_sent = 0
    started = time.perf_counter()
    deadline = started + time_limit

    async def client(number: int) -> None:
        nonlocal not_sent
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, timeout=time_limit, limits=limits) as http:
            for index in range(requests):
                if time.perf_counter() >= deadline:
                    not_sent += requests - index
                    return
                path, body = make_body(number * requests + index)
                sent = time.perf_counter()
                try:
                    response = await http.post(path, json=body)
                    if response.status_code != 200:
                        key = f"HTTP {response.status_code}"
                        errors[key] = errors.get(key, 0) + 1
                        continue
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                    errors[key] = errors.get(key, 0) + 1
                    continue
                latencies.append(time.perf_counter() - sent)
                timing = re.search(r"app;dur=([\d.]+)", response.headers.get("server-timing", ""))
                if timing:
                    server_ms.append(float(timing.group(1)))

    tasks = [asyncio.create_task(client(n)) for n in range(clients)]
    done, pending = await asyncio.wait(tasks, timeout=time_limit + 10)  # hard stop, whatever happens
    for task in pending:  # a client still waiting here is a hung request: an error
        task.cancel()
    if pending:
        errors["hard stop"] = len(pending)
    wall = time.perf_counter() - started
    latencies.sort()
    server_ms.sort()

    def quantile(q: float, values: list[float] = latencies, scale: float = 1000) -> float:
        return scale * values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    return {
        "clients": clients,
        "ok": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "not_sent": not_sent,
        "wall": wall,
        "rps": len(latencies) / wall,
        "p50": quantile(0.50),
        "p99": quantile(0.99),
        "server_p50": quantile(0.50, server_ms, 1),
        "server_p99": quantile(0.99, server_ms, 1),
        "mean": 1000 * statistics.fmean(latencies) if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model directory (default: sentilab's default model)")
    parser.add_argument("--clients", default="1,10,50", help="comma-separated client counts")
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per level, at most")
    parser.add_argument("--scenarios", default="predict 1,predict 32,analyze")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]
    tweets = tweet_like_texts(5000, seed=1)
    document = speech(600)

    scenarios = {
        "predict 1": lambda i: ("/v1/predict", {"texts": [tweets[i % len(tweets)]]}),
        "predict 32": lambda i: (
            "/v1/predict",
            {"texts": [tweets[(i * 32 + k) % len(tweets)] for k in range(32)]},
        ),
        "analyze": lambda i: ("/v1/analyze", {"document": document}),
    }
    chosen = [s.strip() for s in args.scenarios.split(",")]

    server = start_server(args.model)
    url = server.url
    try:
        import httpx

        models = httpx.get(f"{url}/v1/models", timeout=30).json()["models"]
        described = ", ".join(f"{m['name']} ({m['type']}, {'/'.join(m['labels'])})" for m in models)
        print(f"server: {url}  model: {described}")
        print(
            f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
            f"(shared with other work); {args.requests} requests per client, at most {args.time_limit:.0f} s per level"
        )
        asyncio.run(run_level(url, 4, 10, 30, scenarios["predict 1"]))  # warm-up: caches, first-call paths
        header = (
            f"{'scenario':<11} {'clients':>7} {'ok':>6} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'app p50':>8} {'app p99':>8} {'wall s':>7}"
        )
        print(header)
        print("-" * len(header))
        results = []
        for scenario in chosen:
            for clients in levels:
                row = asyncio.run(
                    run_level(url, clients, args.requests, args.time_limit, scenarios[scenario])
                )
                results.append((scenario, row))
                print(
                    f"{scenario:<11} {clients:>7} {row['ok']:>6} {row['errors']:>6} {row['rps']:>8.1f} "
                    f"{row['p50']:>8.1f} {row['p99']:>8.1f} {row['server_p50']:>8.1f} {row['server_p99']:>8.1f} "
                    f"{row['wall']:>7.1f}"
                    + (f"  {row['error_kinds']}" if row["errors"] else "")
                    + (f"  ({row['not_sent']} not sent: time limit)" if row["not_sent"] else ""),
                    flush=True,
                )
        base = {s: r["rps"] for s, r in results if r["clients"] == levels[0]}
        print()
        for scenario, row in results:
            if row["clients"] != levels[0] and base.get(scenario):
                print(
                    f"{scenario}: {row['clients']} clients give {row['rps'] / base[scenario]:.2f}x the requests/s of {levels[0]}"
                )
        worst = max((r["errors"] for s, r in results if r["clients"] == max(levels)), default=0)
        print(
            f"goal: 0 errors with {max(levels)} concurrent clients: {'met' if worst == 0 else f'NOT met ({worst} errors)'}"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
