"""A real controller refuses a request whose headers exceed MAX_HEADER_BYTES without reading them, and goes on serving."""

from __future__ import annotations

import socket

import pytest

from robot.controller.server import MAX_HEADER_BYTES

from .process import controller_process, write_config


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


@pytest.mark.slow
def test_a_64_mb_header_is_refused_and_the_controller_keeps_serving(keys, tmp_path):
    process = controller_process(write_config(tmp_path, keys.public), token="t0ken")
    try:
        client = process.start().client()
        answer = send_huge_header(process.port, 64 * 1024 * 1024)
        assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert answer == b"" or answer.split()[1].startswith(b"4")
        assert client.health()["status"] == "ok"
        small = send_huge_header(process.port, MAX_HEADER_BYTES // 4)  # an ordinary large header still works
        assert small.startswith(b"HTTP/1.1 200")
    finally:
        process.stop()
