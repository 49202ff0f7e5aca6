"""Faults a client can inflict on the service, through a real ``sentilab serve`` process on 127.0.0.1.

Raw sockets play the misbehaving clients: a body announced and never finished, half a header, bytes that
are not UTF-8, a body over the limit. Each case asserts the whole outcome: the status, the JSON error body,
and that the server closed the connection instead of holding it. No case sleeps: a client waits only on its
socket, with a timeout far above the server's (a server that held a connection would fail the test, not
hang it), and the slow upload's pauses are waits for an early answer that must not come.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from urllib.parse import urlsplit

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed (pip install -e '.[service]')")
httpx = pytest.importorskip("httpx")

from sentilab.models import create_model  # noqa: E402
from tests.conftest import TRAIN_LABELS, TRAIN_TEXTS  # noqa: E402

BODY_TIMEOUT_S = 1.0  # the server's --body-timeout
MAX_BODY_BYTES = 20_000  # the server's SENTILAB_SERVE_MAX_BODY_BYTES
CLIENT_WAIT_S = 30.0  # how long a client waits for the server to answer and close: a bound, not a timing
READY_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``sentilab serve`` with a small saved model, a 1 s body timeout and a 20 kB body limit."""
    from sentilab.service.server import ServeProcess

    model_dir = tmp_path_factory.mktemp("served") / "faults"
    create_model("bow", min_df=1, C=10.0).fit(TRAIN_TEXTS, TRAIN_LABELS).save(model_dir)
    env = {
        **os.environ,
        "SENTILAB_HOME": str(tmp_path_factory.mktemp("home")),  # never the user's cache
        "SENTILAB_SERVE_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
    }
    args = ["--model", str(model_dir), "--body-timeout", str(BODY_TIMEOUT_S), "--no-access-log"]
    with ServeProcess(args, env=env) as process:  # terminated when the module's tests are done
        process.wait_ready(READY_TIMEOUT_S)  # polls /healthz, bounded
        yield process


@pytest.fixture(scope="module")
def url(server):
    return server.url


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=CLIENT_WAIT_S)
    return sock


def head(method: str, path: str, **headers: str | int) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def read_until_closed(sock: socket.socket) -> tuple[bytes, bool]:
    """Everything the server sends until it closes the connection (True), or until CLIENT_WAIT_S (False)."""
    data = b""
    deadline = time.monotonic() + CLIENT_WAIT_S
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def parse(response: bytes) -> tuple[int, dict[str, str], object]:
    """(status, headers, JSON body) of one raw HTTP/1.1 response."""
    header_block, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, json.loads(body)


def error(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def stalled_message(received: int, announced: int | None) -> str:
    of = f" of the {announced:,} announced" if announced is not None else ""
    return (
        f"the request body stopped arriving: nothing for {BODY_TIMEOUT_S:g} s after {received} bytes{of}, so "
        "the connection is closed (body_timeout, set by --body-timeout or SENTILAB_SERVE_BODY_TIMEOUT)"
    )


# --------------------------------------------------------------------------------------------- stalls
def test_bodies_announced_and_never_finished_are_answered_408_and_closed(url):
    partial = b'{"texts": ["hi",'  # 16 of the 1,000 bytes announced
    clients = [connect(url) for _ in range(5)]
    for sock in clients:
        sock.sendall(
            head("POST", "/v1/predict", content_type="application/json", content_length=1000) + partial
        )
    for sock in clients:
        with sock:
            response, closed = read_until_closed(sock)
        assert closed, f"the server still held the connection after {CLIENT_WAIT_S:.0f} s"
        status, headers, body = parse(response)
        assert status == 408
        assert headers["connection"] == "close"
        assert body == error(
            "body_timeout", stalled_message(16, 1000), limit="body_timeout", allowed=BODY_TIMEOUT_S
        )


def test_a_chunked_body_that_stalls_is_answered_408_and_closed(url):
    with connect(url) as sock:
        request = head("POST", "/v1/analyze", content_type="application/json", transfer_encoding="chunked")
        sock.sendall(request + b"10\r\n" + b'{"document": "I ' + b"\r\n")  # one 16-byte chunk, then nothing
        response, closed = read_until_closed(sock)
    assert closed
    status, _, body = parse(response)
    assert status == 408
    assert body == error(
        "body_timeout", stalled_message(16, None), limit="body_timeout", allowed=BODY_TIMEOUT_S
    )


def test_half_a_header_is_closed_without_an_answer(url):
    with connect(url) as sock:
        sock.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        response, closed = read_until_closed(sock)
    assert closed, f"the server still held the connection after {CLIENT_WAIT_S:.0f} s"
    assert response == b""  # no request was read, so there is nothing to answer


def test_a_slow_upload_that_keeps_sending_is_served(url):
    """Pauses shorter than the timeout, for longer than the timeout in all: the timeout is per pause."""
    pause_s = BODY_TIMEOUT_S / 10
    body = json.dumps({"texts": ["slow but steady, I love it"]}).encode().ljust(60)  # JSON may end in spaces
    pieces = [body[i : i + 4] for i in range(0, len(body), 4)]
    assert (len(pieces) - 1) * pause_s > BODY_TIMEOUT_S  # the pauses add up to more than the timeout
    request = head(
        "POST", "/v1/predict", content_type="application/json", content_length=len(body), connection="close"
    )
    with connect(url) as sock:
        sock.sendall(request)
        for number, piece in enumerate(pieces, 1):
            sock.sendall(piece)
            if number < len(pieces):  # wait for an early answer, which must not come
                sock.settimeout(pause_s)
                with pytest.raises(TimeoutError):
                    sock.recv(1)
        response, closed = read_until_closed(sock)
    assert closed  # as the request asked (Connection: close)
    status, _, answer = parse(response)
    assert status == 200, answer
    assert answer["model"] == "faults" and answer["predictions"][0]["label"] == "positive"


# --------------------------------------------------------------------------------------------- bodies
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"\xff\xfe",
            "the request body is not valid UTF-8: byte 0 is 0xFF (invalid start byte); "
            "send the JSON encoded as UTF-8",
        ),
        (
            '{"texts": ["déjà vu"]}'.encode("latin-1"),
            "the request body is not valid UTF-8: byte 13 is 0xE9 (invalid continuation byte); "
            "send the JSON encoded as UTF-8",
        ),
    ],
    ids=["utf16_mark", "latin1"],
)
def test_a_body_that_is_not_utf8_says_so_and_where(url, content, message):
    response = httpx.post(
        f"{url}/v1/predict",
        content=content,
        headers={"content-type": "application/json"},
        timeout=CLIENT_WAIT_S,
    )
    assert response.status_code == 422
    assert response.json() == error("invalid_json", message)


def test_a_body_announced_over_the_limit_is_refused_unread_and_closed(url):
    with connect(url) as sock:
        sock.sendall(head("POST", "/v1/predict", content_type="application/json", content_length=10**9))
        response, closed = read_until_closed(sock)
    assert closed
    status, headers, body = parse(response)
    assert status == 413 and headers["connection"] == "close"
    assert body == error(
        "limit_exceeded",
        "the request body has 1,000,000,000 bytes; the limit is 20,000 bytes per request body "
        "(max_body_bytes, set by SENTILAB_SERVE_MAX_BODY_BYTES)",
        limit="max_body_bytes",
        allowed=MAX_BODY_BYTES,
        got=10**9,
    )


def test_a_body_over_the_limit_is_413(url):
    content = json.dumps({"document": "a" * MAX_BODY_BYTES}).encode()
    response = httpx.post(
        f"{url}/v1/analyze",
        content=content,
        headers={"content-type": "application/json"},
        timeout=CLIENT_WAIT_S,
    )
    assert response.status_code == 413
    assert response.json()["error"]["limit"] == "max_body_bytes"
    assert response.json()["error"]["got"] == len(content)


# --------------------------------------------------------------------------------------------- docs
def test_the_api_docs_are_served_from_this_server(server, url):
    assert f"(API docs: {url}/docs;" in server.output()
    with httpx.Client(base_url=url, timeout=CLIENT_WAIT_S) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(references) == 3
        expected_types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
        for reference in references:
            assert reference.startswith("/docs-assets/"), reference  # never a CDN
            asset = client.get(reference)
            assert asset.status_code == 200, reference
            assert (
                asset.headers["content-type"].split(";")[0] == expected_types[os.path.splitext(reference)[1]]
            )
        assert client.get("/openapi.json").json()["info"]["title"] == "sentilab"


def test_after_every_fault_the_server_still_answers(url):
    response = httpx.post(f"{url}/v1/predict", json={"texts": ["I hate it"]}, timeout=CLIENT_WAIT_S)
    assert response.status_code == 200
    assert response.json()["predictions"][0]["label"] == "negative"
