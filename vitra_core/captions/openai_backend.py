"""Captions from any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp server, Ollama, ...).

One POST to {base_url}/chat/completions per segment with `model`, a system and a user message (the
motion facts and the template draft; no images) and temperature 0. The reply's lines in VITRA's form
are the instruction (first) and rephrasings. The bearer token is read from the environment variable
named by `api_key_env` at call time and never stored or logged.
"""

from __future__ import annotations

import os
import re

import requests

from vitra_core.captions.captioner import CaptionerError, CaptionRequest, CaptionText, first_valid
from vitra_core.captions.prompt import SYSTEM, chat_prompt

_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\(\d+\))\s*")


class OpenAICaptioner:
    """A chat-completions client; every failure becomes a CaptionerError with a one-line reason."""

    def __init__(self, base_url: str, model: str, api_key_env: str | None = None, timeout_s: float = 30.0,
                 max_tokens: int = 160):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.name = f"openai:{model}"
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens

    def _post(self, payload: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        try:
            response = requests.post(self.url, json=payload, headers=headers, timeout=self.timeout_s)
        except requests.Timeout as exc:
            raise CaptionerError(f"no reply from {self.url} within {self.timeout_s:g} s") from exc
        except requests.RequestException as exc:
            raise CaptionerError(f"cannot reach {self.url}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise CaptionerError(f"HTTP {response.status_code} from {self.url}: {response.text[:120]!r}")
        try:
            return response.json()
        except ValueError as exc:
            raise CaptionerError(f"reply from {self.url} is not JSON") from exc

    def caption(self, request: CaptionRequest) -> CaptionText:
        reply = self._post({
            "model": self.model,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": chat_prompt(request)}],
            "temperature": 0, "max_tokens": self.max_tokens,
        })
        try:
            content = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise CaptionerError(f"reply from {self.url} has no choices[0].message.content") from exc
        if not isinstance(content, str):
            raise CaptionerError(f"reply from {self.url} has non-text content")
        lines = [_LIST_MARKER.sub("", line).strip() for line in content.splitlines() if line.strip()]
        instruction, more = first_valid(lines, request.own.segment.hand)
        return CaptionText(instruction=instruction, rephrasings=more)
