"""Read episodes back: one episode's rows from its source's data file, its frames from the source's video.

A source's episodes sit back to back in its files (writer.py), an episode at `offset` frames into them.
Frames are decoded in-process by OpenCV's FFmpeg backend from the episode's first frame, which is a
keyframe (every episode was encoded on its own before the join), so seeking there is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vitra_core.episodes.lerobot_format import ACTION_KEY, FOV_KEY, STATE_KEY, data_file, read_data_table, video_file
from vitra_core.episodes.meta import DatasetMeta, EpisodeDatasetError


def read_source_rows(root: Path | str, meta: DatasetMeta, source_id: str) -> dict[str, np.ndarray]:
    """All rows of one source's data file (its episodes in order)."""
    return read_data_table(Path(root) / data_file(meta.videos[source_id]["slot"], meta.settings.chunks_size))


def slice_episode(rows: dict[str, np.ndarray], episode: dict) -> dict[str, np.ndarray]:
    """One episode's rows out of its source's rows (`episode`: a `DatasetMeta.episodes` entry)."""
    window = slice(episode["offset"], episode["offset"] + episode["length"])
    return {key: values[window] for key, values in rows.items()}


def read_episode_rows(root: Path | str, meta: DatasetMeta, episode: dict) -> dict[str, np.ndarray]:
    return slice_episode(read_source_rows(root, meta, episode["video_id"]), episode)


def read_episodes_rows(root: Path | str, meta: DatasetMeta, indices: list[int]) -> list[dict[str, np.ndarray]]:
    """Rows of several episodes (in the order given), reading each source's data file once."""
    episodes = meta.episodes
    sources: dict[str, dict[str, np.ndarray]] = {}
    out = []
    for index in indices:
        episode = episodes[index]
        if episode["video_id"] not in sources:
            sources[episode["video_id"]] = read_source_rows(root, meta, episode["video_id"])
        out.append(slice_episode(sources[episode["video_id"]], episode))
    return out


def read_episode_frames(root: Path | str, meta: DatasetMeta, episode: dict) -> np.ndarray:
    """[T, S, S, 3] RGB frames of one episode."""
    import cv2

    path = Path(root) / video_file(meta.videos[episode["video_id"]]["slot"], meta.settings)
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        if episode["offset"]:
            capture.set(cv2.CAP_PROP_POS_FRAMES, episode["offset"])
        while len(frames) < episode["length"]:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    if len(frames) != episode["length"]:
        raise EpisodeDatasetError(path, f"decoded {len(frames)} frames of episode {episode['episode_index']}, "
                                        f"it has {episode['length']}")
    return np.stack(frames)


@dataclass(frozen=True)
class EpisodeRecord:
    """One episode as arrays: frames [T, S, S, 3] uint8, state and action [T, 104], fov [T, 2], plus its
    row (instruction, hand, source) and its source's hand skeletons rest_pose_m [2, 21, 3] (NaN: never seen)."""

    episode_index: int
    frames: np.ndarray
    state: np.ndarray
    action: np.ndarray
    fov_deg: np.ndarray
    fps: float
    row: dict
    rest_pose_m: np.ndarray

    @property
    def instruction(self) -> str:
        return self.row["instruction"]


def rest_pose(record: dict) -> np.ndarray:
    """A source record's hand skeletons [2, 21, 3] (NaN where a hand was never seen or it is a recording)."""
    stored = record.get("rest_pose_m")
    if stored is None:
        return np.full((2, 21, 3), np.nan)
    return np.array([[[np.nan if x is None else x for x in point] for point in hand] for hand in stored], dtype=float)


def read_episode(root: Path | str, episode_index: int) -> EpisodeRecord:
    root = Path(root)
    meta = DatasetMeta.load(root)
    episodes = meta.episodes
    if episode_index not in episodes:
        raise EpisodeDatasetError(root, f"no episode {episode_index} (the dataset has {len(episodes)})")
    episode = episodes[episode_index]
    rows = read_episode_rows(root, meta, episode)
    return EpisodeRecord(episode_index, read_episode_frames(root, meta, episode), rows[STATE_KEY], rows[ACTION_KEY],
                         rows[FOV_KEY], meta.fps, episode, rest_pose(meta.videos[episode["video_id"]]))

