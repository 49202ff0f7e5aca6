"""Running the app under uvicorn: in the foreground (``sentilab serve``) or in a background thread (tests,
benchmarks), on a socket bound up front so a busy port is a clear error and port 0 picks a free one.

A client that stops sending never holds a connection: uvicorn's protocol here closes one whose request head
is incomplete after the settings' ``body_timeout`` (:func:`protocol_with_head_timeout`), and the app's
``BodyLimitMiddleware`` answers a stalled body with a 408 and closes it."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence

from sentilab.errors import SentilabError


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port), or a clear error."""
    if not 0 <= port <= 65535:
        raise SentilabError(f"port {port} is out of range; use 1-65535, or 0 for any free port")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise SentilabError(
            f"cannot listen on host {host!r}: {exc.strerror}", hint="try --host 127.0.0.1"
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SentilabError(
                f"port {port} on {host} is already in use",
                hint="stop whatever uses it, or pick another: --port 8001",
            ) from None
        if exc.errno == errno.EACCES:
            raise SentilabError(
                f"no permission to listen on port {port}", hint="ports below 1024 need root; use --port 8000"
            ) from None
        raise SentilabError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def make_server(app, *, access_log: bool = True, log_level: str = "info", head_timeout: float | None = None):
    """A uvicorn server for ``app`` that closes a connection whose request line and headers do not arrive
    within ``head_timeout`` seconds (default: the app's ``settings.body_timeout``, else 10)."""
    import uvicorn

    if head_timeout is None:
        settings = getattr(getattr(app, "state", None), "settings", None)
        head_timeout = getattr(settings, "body_timeout", 10.0)
    config = uvicorn.Config(
        app,
        http=protocol_with_head_timeout(head_timeout),
        access_log=access_log,
        log_level=log_level,
        timeout_graceful_shutdown=5,
        # The body limit and the body timeout are enforced by the app (BodyLimitMiddleware), with JSON errors.
        limit_concurrency=None,
    )
    return uvicorn.Server(config)


def protocol_with_head_timeout(seconds: float) -> type:
    """uvicorn's HTTP protocol (httptools or h11, as uvicorn picks), closing a connection that has not sent
    a whole request head ``seconds`` after it opened or after its previous response ended.

    uvicorn has no such timeout: its keep-alive timer stops at the first byte, so a client that sends half a
    header line holds its connection forever. Once the head is in, the app's BodyLimitMiddleware times the
    body; a request being answered is never cut off here, however long the model takes.
    """
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class HeadTimeoutProtocol(AutoHTTPProtocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._start_head_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._start_head_timer()  # keep-alive: the next request's head gets the same time

        def connection_lost(self, exc) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _start_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(seconds, self._head_timed_out)

        def _head_timed_out(self) -> None:
            waiting_for_a_head = self.cycle is None or self.cycle.response_complete
            if waiting_for_a_head and not self.transport.is_closing():
                self.transport.close()

    return HeadTimeoutProtocol


@contextlib.contextmanager
def serve_in_thread(
    app, *, host: str = "127.0.0.1", port: int = 0, ready_timeout: float = 120.0
) -> Iterator[str]:
    """Run ``app`` in a background thread; yield its base URL once ``GET /healthz`` answers 200; stop it after.

    Readiness is polled (every 50 ms, at most ``ready_timeout`` seconds), never assumed after a sleep.
    """
    sock = bind(host, port)
    server = make_server(app, access_log=False, log_level="warning")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="sentilab-server", daemon=True
    )
    thread.start()
    url = url_of(sock)
    try:
        wait_ready(url, ready_timeout, alive=thread.is_alive)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def wait_ready(url: str, timeout: float, alive=lambda: True) -> None:
    """Poll ``url/healthz`` until it answers 200, the server dies, or ``timeout`` seconds pass."""
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not alive():
                raise RuntimeError(f"the server at {url} stopped before it was ready ({last})")
            try:
                response = client.get(f"{url}/healthz")
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                last = type(exc).__name__
            time.sleep(0.05)  # poll interval; the loop is bounded by the deadline
    raise TimeoutError(f"the server at {url} was not ready after {timeout:.0f} s ({last})")


class ServeProcess:
    """``sentilab serve ARGS --port 0`` in a subprocess (tests, benchmarks): started at once, waited for later.

    ``wait_ready(timeout)`` returns the URL the command printed once ``/healthz`` answers, or raises with the
    command's output; every wait is bounded. ``stop()`` (or leaving the ``with`` block) terminates it.
    """

    _URL = re.compile(r"serving .* at (http://[^/\s]+)/ ")

    def __init__(self, args: Sequence[str] = (), *, env: Mapping[str, str] | None = None):
        command = [sys.executable, "-m", "sentilab", "serve", "--port", "0", *args]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=None if env is None else dict(env),
        )
        self.lines: list[str] = []
        self.url: str | None = None
        self._found = threading.Event()
        self._reader = threading.Thread(target=self._read, name="sentilab-serve-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:  # ends when the process closes its output
            self.lines.append(line)
            found = self._URL.search(line)
            if found and self.url is None:
                self.url = found.group(1)
                self._found.set()
        self._found.set()

    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        self._found.wait(timeout)
        if self.url is None:
            raise RuntimeError(f"sentilab serve printed no URL within {timeout:.0f} s:\n{self.output()}")
        try:
            wait_ready(
                self.url, max(1.0, deadline - time.monotonic()), alive=lambda: self.process.poll() is None
            )
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}; its output:\n{self.output()}") from None
        return self.url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._reader.join(timeout=5)

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


__all__ = [
    "ServeProcess",
    "bind",
    "make_server",
    "protocol_with_head_timeout",
    "serve_in_thread",
    "url_of",
    "wait_ready",
]
