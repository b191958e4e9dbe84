"""A real controller refuses a request whose headers exceed MAX_HEADER_BYTES, or whose body exceeds its endpoint's
limit, without reading it, and goes on serving."""

from __future__ import annotations

import select
import socket
from pathlib import Path

import pytest

from robot.controller.app import MAX_OTHER_BODY_BYTES
from robot.controller.server import MAX_HEADER_BYTES

from .process import controller_process, write_config

pytestmark = pytest.mark.slow

MAX_BUNDLE_BYTES = 1_000_000  # tests/robot/controller/process.py


@pytest.fixture(scope="module")
def controller(keys, tmp_path_factory):
    process = controller_process(write_config(tmp_path_factory.mktemp("limits"), keys.public), token="t0ken")
    try:
        yield process.start()
    finally:
        process.stop()


def send_huge_header(port: int, header_bytes: int) -> bytes:
    """GET /health with one header of `header_bytes`; return what the server answered (b"" if it hung up)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: ")
        sent = 0
        try:
            while sent < header_bytes:
                chunk = b"a" * min(65536, header_bytes - sent)
                sock.sendall(chunk)
                sent += len(chunk)
            sock.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before we finished: what we want
        try:
            return sock.recv(4096)
        except (ConnectionResetError, TimeoutError):
            return b""


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a refusal closes it)."""
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return answer


def send_chunked_body(port: int, path: str, body_bytes: int) -> tuple[bytes, int]:
    """POST `path` with a chunked body of `body_bytes`, reading the answer as soon as there is one;
    return (the answer, how many body bytes the server let us send before it answered or hung up)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"a" * 65536
        try:
            while sent < body_bytes and not select.select([sock], [], [], 0)[0]:  # until answered
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_until_closed(sock), sent


def peak_rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


def test_a_64_mb_header_is_refused_and_the_controller_keeps_serving(controller):
    client = controller.client()
    answer = send_huge_header(controller.port, 64 * 1024 * 1024)
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert answer == b"" or answer.split()[1].startswith(b"4")
    assert client.health()["status"] == "ok"
    small = send_huge_header(controller.port, MAX_HEADER_BYTES // 4)  # an ordinary large header still works
    assert small.startswith(b"HTTP/1.1 200")


def test_an_oversize_body_is_refused_with_413_unread_and_the_controller_keeps_serving(controller):
    with socket.create_connection(("127.0.0.1", controller.port), timeout=30) as sock:
        sock.sendall(b"POST /rollback HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\n"
                     b"Content-Length: 10000000000\r\n\r\n")  # 10 GB announced, none sent: answered at once
        answer = read_until_closed(sock)  # headers and body may come in separate packets
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"request body is 10000000000 bytes, more than the limit of 65536 for /rollback" in answer
    assert b'"check":"size"' in answer

    body_bytes = 256 * 1024 * 1024
    peak_before = peak_rss_kib(controller.proc.pid)
    for path, limit in (("/rollback", MAX_OTHER_BODY_BYTES), ("/health", MAX_OTHER_BODY_BYTES),
                        ("/deploy", MAX_BUNDLE_BYTES)):
        answer, sent = send_chunked_body(controller.port, path, body_bytes)
        assert answer.startswith(b"HTTP/1.1 413"), (path, answer[:200])
        assert f"more than the limit of {limit} bytes for {path}".encode() in answer
        assert sent < body_bytes / 8  # cut off early: the rest was never read
    grown_kib = peak_rss_kib(controller.proc.pid) - peak_before
    print(f"peak RSS grew {grown_kib} KiB while three 256 MiB bodies were refused")
    assert grown_kib < 32 * 1024  # nothing near a body was buffered
    assert controller.client().health()["status"] == "ok"
