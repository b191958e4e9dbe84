"""A frames provider for image-based captioners: RGB frames of a frame range, decoded from the clip.

Each call streams the clip from the start and stops after the range (clips are short and normalised;
the template and chat backends never call it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vitra_core.captions.captioner import FramesProvider
from vitra_core.video.frames import iter_frames


def video_frames_provider(video_path: Path | str, max_frames: int = 8) -> FramesProvider:
    """`provider(start_frame, end_frame)` -> at most `max_frames` RGB frames evenly spaced over that range."""
    video_path = Path(video_path)

    def provider(start_frame: int, end_frame: int) -> list[np.ndarray]:
        if end_frame <= start_frame:
            return []
        wanted = set(np.linspace(start_frame, end_frame - 1, min(max_frames, end_frame - start_frame)).round().astype(int))
        frames = []
        for frame in iter_frames(video_path):
            if frame.index in wanted:
                frames.append(frame.rgb)
            if frame.index >= end_frame - 1:
                break
        return frames

    return provider
