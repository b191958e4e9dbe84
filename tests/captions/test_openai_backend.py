"""The OpenAI-compatible backend against a local HTTP server: success, and fallback on every kind of failure."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from tests.captions.helpers import reach_and_grasp
from vitra_core.captions import CaptionerSettings, caption_segments

GOOD = ("Left hand: None. Right hand: Reach to the lower right and grab the cup.\n"
        "1. Left hand: None. Right hand: Move to the lower right and take the cup.\n"
        "2. Left hand: None. Right hand: Go to the bottom right and seize the cup.\n")


class FakeServer:
    """A chat-completions endpoint on 127.0.0.1; `mode` picks its behaviour; it records what it received."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if server.mode == "slow":
                    time.sleep(1.0)
                status, content = (500, "oops") if server.mode == "error" else (200, GOOD if server.mode != "garbage"
                                                                                  else "Sure! Here you go: grab it")
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


def settings(server: FakeServer, **extra) -> CaptionerSettings:
    return CaptionerSettings(backend="openai", base_url=server.base_url, model="tiny-chat", api_key_env="VITRA_TEST_KEY",
                             **extra)


def test_reply_in_vitra_form_becomes_the_caption(server: FakeServer, monkeypatch) -> None:
    monkeypatch.setenv("VITRA_TEST_KEY", "sekret")
    segments, poses = reach_and_grasp()
    caption = caption_segments(segments, poses, settings=settings(server)).captions[0]
    assert caption.captioner == "openai:tiny-chat" and caption.fallback_reason is None
    assert caption.instruction == "Left hand: None. Right hand: Reach to the lower right and grab the cup."
    assert caption.rephrasings[:2] == ["Left hand: None. Right hand: Move to the lower right and take the cup.",
                                       "Left hand: None. Right hand: Go to the bottom right and seize the cup."]
    assert len(caption.rephrasings) == 3  # topped up with the template's first rephrasing
    sent = server.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sekret"
    assert sent["body"]["model"] == "tiny-chat" and [m["role"] for m in sent["body"]["messages"]] == ["system", "user"]
    assert "reach, grasp" in sent["body"]["messages"][1]["content"]


@pytest.mark.parametrize("mode, reason", [("error", "HTTP 500"), ("garbage", "output did not parse"),
                                          ("slow", "within 0.3 s")])
def test_failing_endpoint_falls_back_to_the_template_with_the_reason(server: FakeServer, mode: str, reason: str) -> None:
    server.mode = mode
    segments, poses = reach_and_grasp()
    caption = caption_segments(segments, poses, settings=settings(server, timeout_s=0.3)).captions[0]
    assert caption.captioner == "template"
    assert caption.fallback_reason.startswith("openai:tiny-chat: ") and reason in caption.fallback_reason
    assert caption.instruction.startswith("Left hand: None. Right hand: Reach toward the lower right")


def test_unreachable_endpoint_is_skipped_after_repeated_failures(server: FakeServer) -> None:
    server.mode = "error"
    segments, poses = reach_and_grasp()
    many = segments.model_copy(update={"segments": segments.segments * 5})
    captions = caption_segments(many, poses, settings=settings(server, max_consecutive_failures=2)).captions
    assert len(server.requests) == 2
    assert all(c.captioner == "template" for c in captions)
    assert "skipped after 2 failures in a row" in captions[-1].fallback_reason
