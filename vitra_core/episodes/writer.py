"""Add, replace or remove one video's episodes in the dataset without rewriting anyone else's files.

Episode indices are allocated per video as a block: a new video gets the next free indices; a
reprocessed video reuses the start of its block when its new episodes fit, and otherwise moves to a
fresh block at the end (its old indices are retired, never reused). So the files of other videos are
never renamed or rewritten; indices can have gaps after a reprocessing (docs/episodes.md). The
global frame `index` column is allocated the same way: fresh for every written episode.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from vitra_core.episodes.episode_video import write_episode_videos, write_frames_video
from vitra_core.episodes.lerobot_format import (
    FOV_KEY, STATE_KEY, DatasetSettings, data_file, episode_table_bytes, video_file,
)
from vitra_core.episodes.meta import HAND_STATS_KEY, DatasetMeta
from vitra_core.episodes.source import EpisodeSourceError, RecordedEpisodesInput, VideoEpisodesInput
from vitra_core.episodes.state_layout import ACTION_DIM, MASK_SLICE, pack_state
from vitra_core.episodes.stats import FeatureStats, compute_stats, stats_to_json
from vitra_core.episodes.transaction import Transaction, writing
from vitra_core.hands.skeleton import STATE_SIZE
from vitra_core.video.probe import probe_video

FPS_TOLERANCE = 1e-3


@dataclass(frozen=True)
class VideoUpdate:
    """What one add/replace did: the video's episode indices now, the ones it dropped, frames, time."""

    video_id: str
    episode_indices: list[int]
    removed_indices: list[int]
    frames: int
    seconds: float


def hand_state_stats(state: np.ndarray) -> FeatureStats:
    """Stats of the 102 hand dims, each hand over the frames it is present (count per dim)."""
    weights = np.repeat(state[:, MASK_SLICE], STATE_SIZE, axis=1)
    return compute_stats(state[:, :ACTION_DIM], weights)


def _episode_stats(state: np.ndarray, fov: np.ndarray, fps: float, episode_index: int, index_from: int,
                   task_index: int, image_stats: FeatureStats, image_key: str) -> dict[str, FeatureStats]:
    length = len(state)
    frame_index = np.arange(length)
    columns = {
        "timestamp": (frame_index / fps).astype(np.float32), "frame_index": frame_index,
        "episode_index": np.full(length, episode_index), "index": index_from + frame_index,
        "task_index": np.full(length, task_index),
    }
    stats = {key: compute_stats(values.reshape(-1, 1)) for key, values in columns.items()}
    stats[STATE_KEY] = compute_stats(state)
    stats[FOV_KEY] = compute_stats(fov)
    stats[image_key] = image_stats
    return stats


def _json_points(points: np.ndarray) -> list[list[float | None]]:
    """[N, 3] points as lists, None for NaN (JSON has no NaN; a hand never seen has a NaN skeleton)."""
    return [[float(x) if math.isfinite(x) else None for x in row] for row in points]


def _drop_episodes(meta: DatasetMeta, txn: Transaction, indices: Iterable[int]) -> None:
    for index in indices:
        txn.delete(data_file(index, meta.settings.chunks_size))
        txn.delete(video_file(index, meta.settings))
        meta.episodes.pop(index, None)
        meta.episode_stats.pop(index, None)


def _check_fps(meta: DatasetMeta, source_id: str, fps: float, what: str) -> None:
    """The dataset's fps is fixed by its settings or its first source; every source must match it."""
    if meta.fps is None:
        meta.fps = float(meta.settings.fps or fps)
    if abs(fps - meta.fps) > FPS_TOLERANCE * meta.fps:
        raise EpisodeSourceError(source_id, f"{what} fps {fps:g} differs from the dataset's {meta.fps:g}")


def _check_clip(source: VideoEpisodesInput, meta: DatasetMeta) -> float:
    probe = probe_video(source.clip_path)
    if probe.frames != source.poses.num_frames:
        raise EpisodeSourceError(source.video_id, f"clip {source.clip_path.name} has {probe.frames} frames, "
                                                  f"the hand poses {source.poses.num_frames}")
    _check_fps(meta, source.video_id, probe.fps, "clip")
    return probe.fps


def _allocate(meta: DatasetMeta, video_id: str, count: int) -> list[int]:
    """This video's episode indices: the start of its old block if they fit, else a fresh block."""
    record = meta.videos.get(video_id)
    if record is not None and count <= record["block"][1]:
        start = record["block"][0]
    else:
        start = meta.next_episode_index
        meta.next_episode_index += count
        meta.videos.setdefault(video_id, {})["block"] = [start, count]
    return list(range(start, start + count))


def _stage_episode(meta: DatasetMeta, txn: Transaction, index: int, state: np.ndarray, fov: tuple[float, float],
                   image_stats: FeatureStats, instruction: str, row: dict) -> None:
    """Stage one episode's parquet, stats and vitra_episodes.jsonl row (`row`: its source fields, in order)."""
    length = len(state)
    task_index = meta.task_index(instruction)
    index_from = meta.next_frame_index
    meta.next_frame_index += length
    txn.stage_bytes(data_file(index, meta.settings.chunks_size),
                    episode_table_bytes(state, fov, meta.fps, index, index_from, task_index))
    fov_rows = np.tile(np.asarray(fov, dtype=np.float32), (length, 1))
    meta.episode_stats[index] = _episode_stats(state, fov_rows, meta.fps, index, index_from, task_index,
                                               image_stats, meta.settings.image_key)
    meta.episodes[index] = {
        "episode_index": index, "length": length, "task_index": task_index, **row, "index_from": index_from,
        HAND_STATS_KEY: stats_to_json({HAND_STATS_KEY: hand_state_stats(state)})[HAND_STATS_KEY],
    }


def add_video(root: Path | str, source: VideoEpisodesInput, settings: DatasetSettings | None = None) -> VideoUpdate:
    """Write `source`'s episodes into the dataset at `root` (created if empty), replacing any earlier
    episodes of the same video. Atomic: on any failure the dataset stays as it was."""
    started = time.perf_counter()
    root = Path(root)
    with writing(root) as txn:
        meta = DatasetMeta.load_or_new(root, settings)
        fps = _check_clip(source, meta)
        old = list(meta.videos.get(source.video_id, {}).get("episodes", []))
        indices = _allocate(meta, source.video_id, len(source.spans))
        cfg = meta.settings
        image_stats = write_episode_videos(
            source.clip_path, [(s.start_frame, s.end_frame) for s in source.spans],
            [txn.stage_path(video_file(i, cfg)) for i in indices], cfg.image_size_px, meta.fps, cfg.crf,
        ) if source.spans else []
        _drop_episodes(meta, txn, [i for i in old if i not in indices])
        poses = source.poses
        fov = (poses.intrinsics.fov_x_deg, poses.intrinsics.fov_y_deg)
        for span_index, (span, index, image) in enumerate(zip(source.spans, indices, image_stats)):
            state = pack_state(poses.state[span.start_frame:span.end_frame], poses.mask[span.start_frame:span.end_frame])
            _stage_episode(meta, txn, index, state, fov, image, span.instruction, {
                "video_id": source.video_id, "span_index": span_index, "start_frame": span.start_frame,
                "end_frame": span.end_frame, "hand": span.hand, "instruction": span.instruction,
                "rephrasings": list(span.rephrasings), "primitives": list(span.primitives),
            })
        record = meta.videos.setdefault(source.video_id, {})
        record.update(
            episodes=indices, clip_fps=fps, clip_frames=poses.num_frames, clip_name=source.clip_path.name,
            intrinsics=poses.intrinsics.model_dump(), fov_deg=list(fov), mirrored=poses.mirrored,
            rest_pose_m=[_json_points(hand) for hand in poses.rest_pose_m], fingerprint=source.fingerprint,
        )
        meta.stage(txn)
        txn.commit()
    return VideoUpdate(source.video_id, indices, [i for i in old if i not in indices],
                       sum(s.num_frames for s in source.spans), time.perf_counter() - started)


def add_recorded(
    root: Path | str, source: RecordedEpisodesInput, settings: DatasetSettings | None = None
) -> VideoUpdate:
    """Write in-memory recorded episodes (robot or simulator) into the dataset at `root`, replacing any
    earlier episodes of `source.source_id`; same format, index allocation and atomicity as `add_video`.
    Rows keep the `video_id` key (= source_id) so grouping by source works for both kinds."""
    started = time.perf_counter()
    root = Path(root)
    with writing(root) as txn:
        meta = DatasetMeta.load_or_new(root, settings)
        _check_fps(meta, source.source_id, source.fps, "recording")
        old = list(meta.videos.get(source.source_id, {}).get("episodes", []))
        indices = _allocate(meta, source.source_id, len(source.episodes))
        _drop_episodes(meta, txn, [i for i in old if i not in indices])
        cfg = meta.settings
        for k, (episode, index) in enumerate(zip(source.episodes, indices)):
            image = write_frames_video(episode.frames, txn.stage_path(video_file(index, cfg)), cfg.image_size_px,
                                       meta.fps, cfg.crf)
            state = episode.state.astype(np.float32)
            _stage_episode(meta, txn, index, state, source.fov_deg, image, episode.instruction, {
                "video_id": source.source_id, "span_index": k, "start_frame": 0, "end_frame": episode.num_frames,
                "hand": episode.hand, "instruction": episode.instruction, "rephrasings": [], "primitives": [],
                **episode.extra,
            })
        meta.videos.setdefault(source.source_id, {}).update(
            episodes=indices, kind="recorded", fps=source.fps, fov_deg=list(source.fov_deg),
            fingerprint=source.fingerprint,
        )
        meta.stage(txn)
        txn.commit()
    return VideoUpdate(source.source_id, indices, [i for i in old if i not in indices],
                       sum(e.num_frames for e in source.episodes), time.perf_counter() - started)


def remove_video(root: Path | str, video_id: str) -> list[int]:
    """Drop a video's episodes (its indices are retired); returns them. Unknown ids are a no-op."""
    root = Path(root)
    with writing(root) as txn:
        meta = DatasetMeta.load(root)
        record = meta.videos.pop(video_id, None)
        if record is None:
            return []
        _drop_episodes(meta, txn, record["episodes"])
        meta.stage(txn)
        txn.commit()
        return list(record["episodes"])


def build_dataset(root: Path | str, sources: Iterable[VideoEpisodesInput],
                  settings: DatasetSettings | None = None) -> list[VideoUpdate]:
    """Add each video in order (a from-scratch build is just a sequence of adds)."""
    return [add_video(root, source, settings) for source in sources]

