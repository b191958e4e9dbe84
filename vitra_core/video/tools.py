"""Locate the ffmpeg binaries once, with an install hint when they are missing."""

from __future__ import annotations

import shutil
from functools import cache

from vitra_core.errors import ToolMissingError


@cache
def require_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissingError(
            f"{name} is not installed or not on PATH; run `make setup` (installs it with apt when root) "
            f"or install ffmpeg with your package manager"
        )
    return found


def last_error_line(stderr: bytes) -> str:
    """The last non-empty line an ffmpeg tool printed: usually the one that says what went wrong."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"
