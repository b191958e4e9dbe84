"""Stream decoded RGB frames with their exact presentation timestamps, decoding the file once.

ffmpeg decodes to raw RGB on stdout while its `showinfo` filter reports each frame's pts (and the
stream time base) on stderr; pairing the two gives exact timestamps without a second pass. A reader
thread keeps up to `PREFETCH_FRAMES` decoded frames ready, so decoding overlaps whatever the consumer
does with each frame (a frame is far larger than a pipe buffer, so ffmpeg could not run ahead
otherwise), and memory stays bounded to those few frames.
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

PREFETCH_FRAMES = 4
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


def _put(target: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put unless asked to stop (the consumer may have gone away while the queue is full)."""
    while not stop.is_set():
        try:
            target.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _read_frames(stdout, infos: queue.Queue, frames: queue.Queue, stop: threading.Event) -> None:
    """Pair each frame record with its pixels, running ahead of the consumer by up to the queue size."""
    while not stop.is_set():
        info = infos.get()
        if info is None:
            break
        data = _read_exactly(stdout, info.width * info.height * 3)
        if len(data) < info.width * info.height * 3 or not _put(frames, (info, data), stop):
            break
    _put(frames, None, stop)


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
    frames: queue.Queue = queue.Queue(maxsize=PREFETCH_FRAMES)
    stop = threading.Event()
    tail: list[str] = []
    threads = [
        threading.Thread(target=_read_frame_infos, args=(proc.stderr, infos, tail), daemon=True),
        threading.Thread(target=_read_frames, args=(proc.stdout, infos, frames, stop), daemon=True),
    ]
    for thread in threads:
        thread.start()
    first_pts_s: Fraction | None = None
    count = 0
    try:
        while max_frames is None or count < max_frames:
            item = frames.get()
            if item is None:
                break
            info, data = item
            if first_pts_s is None:
                first_pts_s = info.pts_s
            rgb = np.frombuffer(data, dtype=np.uint8).reshape(info.height, info.width, 3)
            yield Frame(count, float(info.pts_s - first_pts_s), rgb)
            count += 1
    finally:
        stop.set()
        proc.kill()  # ends both pipes, which unblocks the reader threads
        proc.wait()
        for thread in threads:
            thread.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
    if count == 0 and (max_frames is None or max_frames > 0):
        reason = next((line for line in reversed(tail) if line), "no frame could be decoded")
        raise InvalidVideoError(path, f"ffmpeg decoded no frames ({reason})")
