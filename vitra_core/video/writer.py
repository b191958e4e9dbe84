"""Encode RGB frames into an H.264 clip through an ffmpeg pipe, atomically (for overlays and renders)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterable

import numpy as np

from vitra_core.errors import VitraError
from vitra_core.fsutil import atomic_path
from vitra_core.video.tools import last_error_line, require_tool


def write_clip(frames: Iterable[np.ndarray], target: Path, fps: float, crf: int = 23) -> int:
    """Write [H, W, 3] uint8 frames (all the same even size) to `target`; return the frame count."""
    count = 0
    with atomic_path(target) as tmp:
        proc: subprocess.Popen | None = None
        try:
            for rgb in frames:
                if proc is None:
                    height, width = rgb.shape[:2]
                    proc = subprocess.Popen(
                        [require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                         "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps:g}",
                         "-i", "pipe:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
                         "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", str(tmp)],
                        stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                    )
                proc.stdin.write(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes())
                count += 1
            if proc is None:
                raise VitraError(f"{target.name}: no frames to write")
            proc.stdin.close()
            if proc.wait() != 0:
                raise VitraError(f"{target.name}: ffmpeg failed: {last_error_line(proc.stderr.read())}")
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    return count
