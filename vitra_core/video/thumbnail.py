"""A small picture of a clip for people: one frame as JPEG, small enough to embed in run metadata."""

from __future__ import annotations

import subprocess
from pathlib import Path

from vitra_core.errors import InvalidVideoError
from vitra_core.video.tools import last_error_line, require_tool


def thumbnail_jpeg(video: Path, at_s: float, width_px: int = 320) -> bytes:
    """JPEG bytes of the frame at `at_s` seconds, scaled to `width_px` wide."""
    cmd = [
        require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error",
        "-ss", f"{max(at_s, 0.0):.3f}", "-i", str(video), "-frames:v", "1",
        "-vf", f"scale={width_px}:-2", "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "4", "pipe:1",
    ]
    done = subprocess.run(cmd, capture_output=True)
    if done.returncode != 0 or not done.stdout:
        raise InvalidVideoError(video, f"no thumbnail could be made: {last_error_line(done.stderr)}")
    return done.stdout
