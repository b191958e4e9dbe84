"""Specific exceptions: each message names the input and the reason."""

from __future__ import annotations

from pathlib import Path


class VitraError(Exception):
    """Base class for errors raised by vitra_core."""


class ConfigError(VitraError):
    """A configuration file or environment override is invalid."""


class FileError(VitraError):
    """A file cannot be used; the message is `<file name>: <reason>`, `reason` a one-line explanation."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class InvalidVideoError(FileError):
    """A file cannot be used as a video."""


class ToolMissingError(VitraError):
    """An external program (ffmpeg, ffprobe) is not installed."""
