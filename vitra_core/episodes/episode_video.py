"""Cut episode videos out of a normalised clip: decode it once, letterbox each frame, encode per episode.

Every episode video is `size` x `size` (LeRobot has one shape per video feature): the frame is scaled
so its long side is `size` (content rounded to even sizes) and padded with black equally on both
sides, so the image centre stays the principal point. Frame k of episode video = clip frame
start + k, written at the clip's fps (timestamp k / fps), so frames align exactly with the parquet rows.
Episodes may overlap (one per hand); each gets its own encoder, fed as the clip streams by.
LeRobot v3.0 keeps a source's episodes back to back in one mp4: `concat_videos` joins the episode
files without re-encoding, so every episode starts on a keyframe and its frames are bit-identical.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np

from vitra_core.episodes.stats import FeatureStats
from vitra_core.errors import VitraError
from vitra_core.fsutil import atomic_path
from vitra_core.video.frames import iter_frames
from vitra_core.video.tools import last_error_line, require_tool
from vitra_core.video.writer import write_clip

_QUEUE_FRAMES = 8


def letterbox_geometry(width: int, height: int, size: int) -> tuple[int, int, int, int]:
    """(content width, content height, left pad, top pad) of a frame letterboxed into size x size."""
    scale = size / max(width, height)
    cw = min(size, max(2, int(round(width * scale / 2)) * 2))
    ch = min(size, max(2, int(round(height * scale / 2)) * 2))
    return cw, ch, (size - cw) // 2, (size - ch) // 2


def letterbox(rgb: np.ndarray, size: int) -> np.ndarray:
    """[H, W, 3] uint8 -> [size, size, 3] uint8 (area resampling, black padding)."""
    cw, ch, left, top = letterbox_geometry(rgb.shape[1], rgb.shape[0], size)
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[top:top + ch, left:left + cw] = cv2.resize(rgb, (cw, ch), interpolation=cv2.INTER_AREA)
    return canvas


class _ImageStats:
    """Per-channel stats over all pixels of an episode's frames, in [0, 1] (LeRobot: shape [3, 1, 1], count = frames)."""

    def __init__(self) -> None:
        self.frames = 0
        self.total = np.zeros(3)
        self.total_sq = np.zeros(3)
        self.lo = np.full(3, np.inf)
        self.hi = np.full(3, -np.inf)
        self.pixels = 0

    def add(self, rgb: np.ndarray) -> None:
        flat = rgb.reshape(-1, 3).astype(np.float64) / 255.0
        self.frames += 1
        self.pixels += len(flat)
        self.total += flat.sum(axis=0)
        self.total_sq += (flat**2).sum(axis=0)
        self.lo = np.minimum(self.lo, flat.min(axis=0))
        self.hi = np.maximum(self.hi, flat.max(axis=0))

    def result(self) -> FeatureStats:
        mean = self.total / self.pixels
        std = np.sqrt(np.maximum(self.total_sq / self.pixels - mean**2, 0.0))
        shape = (3, 1, 1)
        return {"min": self.lo.reshape(shape), "max": self.hi.reshape(shape), "mean": mean.reshape(shape),
                "std": std.reshape(shape), "count": np.array([float(self.frames)])}


class _EpisodeEncoder:
    """A write_clip running in a thread, fed frames through a bounded queue."""

    def __init__(self, target: Path, fps: float, crf: int):
        self.frames: queue.Queue = queue.Queue(maxsize=_QUEUE_FRAMES)
        self.error: BaseException | None = None
        self.stats = _ImageStats()
        self.thread = threading.Thread(target=self._run, args=(target, fps, crf), daemon=True)
        self.thread.start()

    def _iter(self):
        while (frame := self.frames.get()) is not None:
            yield frame

    def _run(self, target: Path, fps: float, crf: int) -> None:
        try:
            write_clip(self._iter(), target, fps, crf=crf)
        except BaseException as exc:  # reported by finish(); keep draining so the producer never blocks
            self.error = exc
            while self.frames.get() is not None:
                pass

    def put(self, rgb: np.ndarray) -> None:
        self.stats.add(rgb)
        self.frames.put(rgb)

    def finish(self) -> FeatureStats:
        self.frames.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.stats.result()


def write_episode_videos(
    clip_path: Path, ranges: Sequence[tuple[int, int]], targets: Sequence[Path], size: int, fps: float, crf: int,
) -> list[FeatureStats]:
    """Encode clip frames [start, end) of each range into its target; return per-episode image stats."""
    starts: dict[int, list[int]] = {}
    for k, (start, _) in enumerate(ranges):
        starts.setdefault(start, []).append(k)
    last = max((end for _, end in ranges), default=0)
    active: dict[int, _EpisodeEncoder] = {}
    stats: dict[int, FeatureStats] = {}
    decoded = 0
    try:
        for frame in iter_frames(clip_path):
            decoded = frame.index + 1
            for k in starts.get(frame.index, []):
                active[k] = _EpisodeEncoder(targets[k], fps, crf)
            if active:
                small = letterbox(frame.rgb, size)
                for k in list(active):
                    active[k].put(small)
                    if frame.index + 1 == ranges[k][1]:
                        stats[k] = active.pop(k).finish()
            if decoded >= last and not active:
                break
    finally:
        for encoder in active.values():
            encoder.frames.put(None)
            encoder.thread.join()
    unfinished = [ranges[k] for k in range(len(ranges)) if k not in stats]
    if unfinished:
        raise VitraError(f"{clip_path.name}: decoded {decoded} frames, but an episode ends at frame {unfinished[0][1]}")
    return [stats[k] for k in range(len(ranges))]


def write_frames_video(frames: Iterable[np.ndarray], target: Path, size: int, fps: float, crf: int) -> FeatureStats:
    """Encode in-memory [H, W, 3] uint8 frames (a recorded episode), letterboxed like clip frames; image stats."""
    stats = _ImageStats()

    def letterboxed() -> Iterator[np.ndarray]:
        for rgb in frames:
            small = letterbox(rgb, size)
            stats.add(small)
            yield small

    write_clip(letterboxed(), target, fps, crf=crf)
    return stats.result()


def concat_videos(parts: Sequence[Path], target: Path, fps: float) -> None:
    """Join episode mp4s (same size and encoder settings) into `target` by stream copy.

    The track's timescale is the frame rate, so frame k of the joined file is stamped exactly k / fps
    (ffmpeg's default timescale leaves a fraction of a millisecond at each join, more than LeRobot's
    1e-4 s timestamp tolerance)."""
    with atomic_path(target) as tmp:
        listing = tmp.with_suffix(".txt")
        quoted = (str(Path(p).resolve()).replace("'", "'\\''") for p in parts)  # the concat list's quoting
        listing.write_text("".join(f"file '{q}'\n" for q in quoted))
        try:
            result = subprocess.run(
                [require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat",
                 "-safe", "0", "-i", str(listing), "-c", "copy", "-video_track_timescale", str(round(fps)),
                 "-movflags", "+faststart", "-f", "mp4", str(tmp)],
                capture_output=True,
            )
        finally:
            listing.unlink(missing_ok=True)
        if result.returncode != 0:
            raise VitraError(f"{target.name}: joining {len(parts)} episode videos failed: "
                             f"{last_error_line(result.stderr)}")
