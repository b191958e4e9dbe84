"""Stream decoded RGB frames with their exact presentation timestamps, decoding the file once.

ffmpeg decodes to raw RGB on stdout while its `showinfo` filter reports each frame's pts (and the
stream time base) on stderr; pairing the two gives exact timestamps without a second pass, and
memory stays bounded to about one frame plus the pipe buffers.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from vitra_core.errors import InvalidVideoError
from vitra_core.video.tools import require_tool

_TIME_BASE = re.compile(r"config in time_base: (\d+)/(\d+)")
_FRAME = re.compile(r"\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\S+.*?\bs:(\d+)x(\d+)")


@dataclass(frozen=True)
class Frame:
    """One decoded frame. `rgb` is [H, W, 3] uint8; `timestamp_s` counts from the first frame."""

    index: int
    timestamp_s: float
    rgb: np.ndarray


@dataclass(frozen=True)
class _FrameInfo:
    pts_s: Fraction
    width: int
    height: int


def _read_frame_infos(stderr, infos: "queue.Queue[_FrameInfo | None]", tail: list[str]) -> None:
    """Parse showinfo lines into frame records; keep the last other lines for error messages."""
    time_base: Fraction | None = None
    for raw in iter(stderr.readline, b""):
        line = raw.decode("utf-8", "replace")
        if "Parsed_showinfo" not in line:
            tail.append(line.strip())
            del tail[:-20]
        elif time_base is None and (m := _TIME_BASE.search(line)):
            time_base = Fraction(int(m.group(1)), int(m.group(2)))
        elif time_base is not None and (m := _FRAME.search(line)):
            infos.put(_FrameInfo(int(m.group(2)) * time_base, int(m.group(3)), int(m.group(4))))
    infos.put(None)


def _read_exactly(stream, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def iter_frames(path: Path | str, *, max_frames: int | None = None) -> Iterator[Frame]:
    """Yield every frame of the first video stream of `path` in presentation order.

    Raises InvalidVideoError when ffmpeg cannot decode the file at all.
    """
    path = Path(path)
    ffmpeg = require_tool("ffmpeg")
    cmd = [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "info", "-i", str(path),
        "-map", "0:v:0", "-vf", "showinfo", "-fps_mode", "passthrough",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    infos: queue.Queue = queue.Queue()
    tail: list[str] = []
    reader = threading.Thread(target=_read_frame_infos, args=(proc.stderr, infos, tail), daemon=True)
    reader.start()
    first_pts_s: Fraction | None = None
    count = 0
    try:
        while max_frames is None or count < max_frames:
            info = infos.get()
            if info is None:
                break
            nbytes = info.width * info.height * 3
            data = _read_exactly(proc.stdout, nbytes)
            if len(data) < nbytes:
                break
            if first_pts_s is None:
                first_pts_s = info.pts_s
            rgb = np.frombuffer(data, dtype=np.uint8).reshape(info.height, info.width, 3)
            yield Frame(count, float(info.pts_s - first_pts_s), rgb)
            count += 1
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()
        reader.join(timeout=5)
    if count == 0 and (max_frames is None or max_frames > 0):
        reason = next((line for line in reversed(tail) if line), "no frame could be decoded")
        raise InvalidVideoError(path, f"ffmpeg decoded no frames ({reason})")

