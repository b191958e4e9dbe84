"""Which source videos train the VLA, which pick its checkpoint (validation), and which judge it (evaluation).

The split is by source video, never by frame: neighbouring frames of one clip are nearly identical,
so a frame-level split would measure memorisation. The evaluation videos include at least one with a
moving camera (head-mounted / egocentric) and one with a still camera where both kinds exist: a VLA
for egocentric video must be judged on egocentric video, and a random draw of 3 from 11 clips can
miss a kind. Validation videos are disjoint from both, so choosing the best checkpoint (early
stopping) does not tune the model to the videos that judge it; with only two videos there is no
validation set (one trains, one judges) and training runs its full length.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from vitra_core.camera.rotation import rotation_angle_deg
from vitra_core.episodes.anchor import unpack_poses
from vitra_core.episodes.lerobot_format import CAMERA_KEY
from vitra_core.episodes.meta import DatasetMeta
from vitra_core.episodes.reader import read_source_rows, slice_episode
from vitra_core.errors import VitraError

# A head-mounted camera turns several degrees per second all the time (head motion while working; the
# sample egocentric clips: median 4.5-16 deg/s); a tripod's or a still phone's estimated rotation is
# estimation noise (sample third-person clips: median < 0.6 deg/s). 2 deg/s lies between the two.
MOVING_CAMERA_DEG_PER_S = 2.0


class VideoSplit(BaseModel):
    """Episodes and videos for training, validation (checkpoint choice) and evaluation (vla_eval)."""

    train_episodes: list[int]
    val_episodes: list[int]
    eval_episodes: list[int]
    val_videos: list[str]
    eval_videos: list[str]
    moving_camera_videos: list[str]


def camera_speed_deg_per_s(root: Path, meta: DatasetMeta) -> dict[str, float]:
    """Per source: the median frame-to-frame camera rotation over its episodes, in degrees per second."""
    speeds: dict[str, float] = {}
    by_video: dict[str, list[dict]] = {}
    for episode in meta.episodes.values():
        by_video.setdefault(episode["video_id"], []).append(episode)
    for video, episodes in by_video.items():
        rows = read_source_rows(root, meta, video)
        steps = []
        for episode in episodes:
            rotation, _ = unpack_poses(slice_episode(rows, episode)[CAMERA_KEY])
            steps.append(rotation_angle_deg(np.swapaxes(rotation[:-1], -1, -2) @ rotation[1:]))
        per_frame = np.concatenate(steps)
        speeds[video] = float(np.median(per_frame)) * meta.videos[video]["clip_fps"] if per_frame.size else 0.0
    return speeds


def _pick(pools: list[list[str]], frames: dict[str, int], budget: float) -> list[str]:
    """Videos whose frames fit in `budget`: the first of each pool that fits (so every kind is covered where
    it can be), then others that still fit, in the pools' order, until half the budget is used (so many
    small clips are not all drawn at once); the smallest video if none fits."""
    chosen: list[str] = []
    for candidate in [v for pool in pools for v in pool[:1]] + [v for pool in pools for v in pool]:
        used = sum(frames[v] for v in chosen)
        if len(chosen) >= len([p for p in pools if p]) and used >= budget / 2:
            break
        if candidate not in chosen and used + frames[candidate] <= budget:
            chosen.append(candidate)
    return chosen or [min((v for pool in pools for v in pool), key=lambda v: (frames[v], v))]


def split_by_video(episodes: Mapping[int, dict], moving_camera: set[str], eval_fraction: float,
                   val_fraction: float, seed: int = 0) -> VideoSplit:
    """Hold out whole videos with up to eval_fraction of the frames for evaluation and up to val_fraction for
    validation (at least one video each), each covering moving and still cameras where it can. By frames,
    not video count: the sample clips range from 31 to 1188 frames. `episodes`: DatasetMeta.episodes
    (rows with `video_id` and `length`). With two videos: one for training, one for evaluation, none to validate."""
    videos = sorted({row["video_id"] for row in episodes.values()})
    if len(videos) < 2:
        raise VitraError(f"splitting by video needs at least 2 videos with episodes, the dataset has {len(videos)}")
    frames = {v: sum(row["length"] for row in episodes.values() if row["video_id"] == v) for v in videos}
    total = sum(frames.values())
    order = np.random.default_rng(seed).permutation(videos).tolist()
    pools = [[v for v in order if v in moving_camera], [v for v in order if v not in moving_camera]]
    held_out = _pick(pools, frames, eval_fraction * total)
    rest = [[v for v in pool if v not in held_out] for pool in pools]
    val = _pick(rest, frames, val_fraction * total) if len(videos) > 2 else []
    if len(held_out) + len(val) == len(videos):
        raise VitraError(f"no video is left to train on after holding out {held_out} and validating on {val}")
    by_video = {v: sorted(i for i, row in episodes.items() if row["video_id"] == v) for v in videos}
    return VideoSplit(
        train_episodes=sorted(i for v in videos if v not in held_out and v not in val for i in by_video[v]),
        val_episodes=sorted(i for v in val for i in by_video[v]),
        eval_episodes=sorted(i for v in held_out for i in by_video[v]),
        val_videos=sorted(val), eval_videos=sorted(held_out),
        moving_camera_videos=sorted(v for v in videos if v in moving_camera),
    )


def split_dataset(root: Path, eval_fraction: float, val_fraction: float, seed: int) -> VideoSplit:
    """split_by_video over an episode dataset, with its moving-camera videos measured from the stored camera poses."""
    meta = DatasetMeta.load(root)
    speeds = camera_speed_deg_per_s(root, meta)
    return split_by_video(meta.episodes, {v for v, s in speeds.items() if s > MOVING_CAMERA_DEG_PER_S},
                          eval_fraction, val_fraction, seed)


def episodes_of_videos(root: Path, videos: list[str]) -> list[int]:
    """The dataset's current episode indices of `videos` (LeRobot v3.0 renumbers episodes on update; ids stay)."""
    wanted = set(videos)
    return sorted(i for i, row in DatasetMeta.load(root).episodes.items() if row["video_id"] in wanted)
