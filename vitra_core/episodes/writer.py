"""Add, replace or remove one source's episodes (a video's, or a batch of recordings) in the v3.0 dataset.

Each source owns one file slot (lerobot_format.py): its data, video and meta/episodes files. Adding a source
writes its three files, its own record and one index file (meta.py); replacing it rewrites its own three in
place (same slot); removing it deletes them. LeRobot needs episode and frame numbers dense in file order, so
when a replace or remove changes a source's episode or frame count, the sources after it are renumbered: their
small data and meta/episodes parquet files get new `episode_index`/`index` values; their videos, the large
files, are never touched. Every update is one transaction (transaction.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from vitra_core.episodes.episode_video import concat_videos, write_episode_videos, write_frames_video
from vitra_core.episodes.anchor import identity_poses, next_state_in_current_camera
from vitra_core.episodes.lerobot_format import (
    ACTION_KEY, CAMERA_KEY, FOV_KEY, STATE_KEY, DatasetSettings, EpisodeRows, data_file, data_table_bytes,
    episodes_meta_bytes, episodes_meta_file, read_episodes_meta, renumber_data_table, slot_location, video_file,
)
from vitra_core.episodes.meta import HAND_STATS_KEY, POSITIONAL_KEYS, DatasetMeta, SourceNumbering
from vitra_core.episodes.source import EpisodeSourceError, RecordedEpisodesInput, VideoEpisodesInput
from vitra_core.episodes.state_layout import ACTION_DIM, MASK_SLICE, pack_state
from vitra_core.episodes.stats import FeatureStats, compute_stats, merge_dataset_stats, stats_to_json
from vitra_core.episodes.transaction import Transaction, writing
from vitra_core.hands.skeleton import STATE_SIZE
from vitra_core.video.probe import probe_video

FPS_TOLERANCE = 1e-3


@dataclass(frozen=True)
class VideoUpdate:
    """What one add/replace did: the source's episode indices now, the indices it held before, frames, time."""

    video_id: str
    episode_indices: list[int]
    removed_indices: list[int]
    frames: int
    seconds: float


def hand_state_stats(state: np.ndarray) -> FeatureStats:
    """Stats of the 102 hand dims, each hand over the frames it is present (count per dim)."""
    weights = np.repeat(state[:, MASK_SLICE], STATE_SIZE, axis=1)
    return compute_stats(state[:, :ACTION_DIM], weights)


def _content_stats(rows: EpisodeRows, fps: float, image_stats: FeatureStats, image_key: str) -> dict[str, FeatureStats]:
    """An episode's stats of every feature that does not depend on where the episode sits in the dataset."""
    frame_index = np.arange(rows.length)
    stats = {
        "timestamp": compute_stats((frame_index / fps).astype(np.float32).reshape(-1, 1)),
        "frame_index": compute_stats(frame_index.reshape(-1, 1)),
        "task_index": compute_stats(np.full((rows.length, 1), rows.task_index)),
        STATE_KEY: compute_stats(rows.state),
        ACTION_KEY: compute_stats(rows.action),
        FOV_KEY: compute_stats(np.tile(np.asarray(rows.fov_deg, dtype=np.float32), (rows.length, 1))),
        CAMERA_KEY: compute_stats(rows.camera),
    }
    stats[image_key] = image_stats
    return stats


def _positional_stats(episode_index: int, index_from: int, length: int) -> dict[str, FeatureStats]:
    return {"episode_index": compute_stats(np.full((length, 1), episode_index)),
            "index": compute_stats(np.arange(index_from, index_from + length).reshape(-1, 1))}


def _lerobot_row(meta: DatasetMeta, slot: int, row: dict, number: SourceNumbering, k: int, offset: int) -> dict:
    """An episode's LeRobot columns in meta/episodes (without stats)."""
    location = slot_location(slot, meta.settings.chunks_size)
    key = meta.settings.image_key
    start = number.first_index + offset
    return {
        "episode_index": number.first_episode + k, "tasks": [meta.tasks[row["task_index"]]], "length": row["length"],
        "data/chunk_index": location["chunk_index"], "data/file_index": location["file_index"],
        "dataset_from_index": start, "dataset_to_index": start + row["length"],
        f"videos/{key}/chunk_index": location["chunk_index"], f"videos/{key}/file_index": location["file_index"],
        f"videos/{key}/from_timestamp": offset / meta.fps, f"videos/{key}/to_timestamp": (offset + row["length"]) / meta.fps,
        "meta/episodes/chunk_index": location["chunk_index"], "meta/episodes/file_index": location["file_index"],
    }


def _lerobot_rows(meta: DatasetMeta, slot: int, rows: list[dict], number: SourceNumbering) -> list[dict]:
    offsets = np.concatenate([[0], np.cumsum([row["length"] for row in rows])]).astype(int)
    return [_lerobot_row(meta, slot, row, number, k, int(offsets[k])) for k, row in enumerate(rows)]


def _delete_slot(meta: DatasetMeta, txn: Transaction, slot: int) -> None:
    size = meta.settings.chunks_size
    for relative in (data_file(slot, size), episodes_meta_file(slot, size), video_file(slot, meta.settings)):
        txn.delete(relative)


def restage_numbers(source_root: Path, source_slot: int, meta: DatasetMeta, txn: Transaction, slot: int,
                    rows: list[dict], number: SourceNumbering, task_map: np.ndarray | None = None) -> None:
    """Stage a source's data and meta/episodes files at `slot` with the numbers `number`, from its files at
    `source_slot` under `source_root` (its video is never touched). `task_map` maps the stored task_index
    values to `rows`' (a shard's tasks into the dataset's); content stats are kept, the rest recomputed."""
    size = meta.settings.chunks_size
    txn.stage_bytes(data_file(slot, size), renumber_data_table(source_root / data_file(source_slot, size),
                                                               number.first_episode, number.first_index, task_map))
    stored = read_episodes_meta(source_root / episodes_meta_file(source_slot, size))
    recomputed = POSITIONAL_KEYS + (("task_index",) if task_map is not None else ())
    lerobot, stats = _lerobot_rows(meta, slot, rows, number), []
    for row, old_row, ours in zip(lerobot, stored, rows):
        row.update({c: v for c, v in old_row.items() if c.startswith("stats/") and c.split("/")[1] not in recomputed})
        stats.append(_positional_stats(row["episode_index"], row["dataset_from_index"], row["length"]))
        if task_map is not None:
            stats[-1]["task_index"] = compute_stats(np.full((row["length"], 1), ours["task_index"]))
    txn.stage_bytes(episodes_meta_file(slot, size), episodes_meta_bytes(lerobot, stats))


def _renumber(root: Path, meta: DatasetMeta, txn: Transaction, before: dict[str, SourceNumbering],
              skip: str | None) -> None:
    """Rewrite the data and meta/episodes files of every source whose numbers moved (never its video)."""
    for vid, number in meta.numbering().items():
        old = before.get(vid)
        if vid == skip or old is None or number.episodes == 0 or (old.first_episode, old.first_index) == (
                number.first_episode, number.first_index):
            continue
        record = meta.videos[vid]
        restage_numbers(root, record["slot"], meta, txn, record["slot"], record["episodes"], number)


def write_source(root: Path, meta: DatasetMeta, txn: Transaction, source_id: str, episodes: list[EpisodeRows],
                  parts: list[Path], image_stats: list[FeatureStats], rows: list[dict], record: dict) -> VideoUpdate:
    """Stage one source's three files (or none when it has no episodes), our record of it, and the
    renumbering of the sources after it. `rows` are its episode rows (span fields, instruction...)."""
    started = time.perf_counter()
    previous = meta.videos.get(source_id)
    before = meta.numbering() if previous else {}  # only a replace can move other sources
    slot = previous["slot"] if previous else meta.allocate_slot()
    old_indices = list(range(before[source_id].first_episode, before[source_id].first_episode
                             + before[source_id].episodes)) if previous else []
    appended_at = (meta.total_episodes, meta.total_frames)  # a new source's slot is the last one
    content = [_content_stats(e, meta.fps, image, meta.settings.image_key) for e, image in zip(episodes, image_stats)]
    for row, rows_of in zip(rows, episodes):
        row.update(length=rows_of.length, task_index=rows_of.task_index,
                   **{HAND_STATS_KEY: stats_to_json({HAND_STATS_KEY: hand_state_stats(rows_of.state)})[HAND_STATS_KEY]})
    merged = stats_to_json(merge_dataset_stats(content)) if content else {}
    meta.videos[source_id] = {**(previous or {}), **record, "slot": slot, "episodes": rows, "stats": merged}
    number = meta.numbering()[source_id] if previous else SourceNumbering(
        *appended_at, len(rows), sum(row["length"] for row in rows))
    size = meta.settings.chunks_size
    if episodes:
        concat_videos(parts, txn.stage_path(video_file(slot, meta.settings)), meta.fps)
        txn.stage_bytes(data_file(slot, size),
                        data_table_bytes(episodes, meta.fps, number.first_episode, number.first_index))
        lerobot = _lerobot_rows(meta, slot, rows, number)
        stats = [{**c, **_positional_stats(r["episode_index"], r["dataset_from_index"], r["length"])}
                 for c, r in zip(content, lerobot)]
        txn.stage_bytes(episodes_meta_file(slot, size), episodes_meta_bytes(lerobot, stats))
    elif previous:
        _delete_slot(meta, txn, slot)
    if previous:
        _renumber(root, meta, txn, before, skip=source_id)
    meta.stage(txn)
    txn.commit()
    indices = list(range(number.first_episode, number.first_episode + number.episodes))
    return VideoUpdate(source_id, indices, [i for i in old_indices if i not in indices], number.frames,
                       time.perf_counter() - started)


def check_fps(meta: DatasetMeta, source_id: str, fps: float, what: str) -> None:
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
    check_fps(meta, source.video_id, probe.fps, "clip")
    return probe.fps


def _json_points(points: np.ndarray) -> list[list[float | None]]:
    """[N, 3] points as lists, None for NaN (JSON has no NaN; a hand never seen has a NaN skeleton)."""
    return [[float(x) if np.isfinite(x) else None for x in row] for row in points]


def add_video(root: Path | str, source: VideoEpisodesInput, settings: DatasetSettings | None = None) -> VideoUpdate:
    """Write `source`'s episodes into the dataset at `root` (created if empty), replacing any earlier
    episodes of the same video. Atomic: on any failure the dataset stays as it was."""
    root = Path(root)
    with writing(root) as txn:
        meta = DatasetMeta.load_or_new(root, settings)
        fps = _check_clip(source, meta)
        cfg, poses = meta.settings, source.poses
        parts = [txn.scratch_path(f"{source.video_id}/{k}.mp4") for k in range(len(source.spans))]
        image_stats = write_episode_videos(
            source.clip_path, [(s.start_frame, s.end_frame) for s in source.spans], parts, cfg.image_size_px,
            meta.fps, cfg.crf,
        ) if source.spans else []
        packed = pack_state(poses.state, poses.mask)
        camera = source.camera_poses if source.camera_poses is not None else identity_poses(poses.num_frames)
        fov = (poses.intrinsics.fov_x_deg, poses.intrinsics.fov_y_deg)
        episodes = [EpisodeRows(packed[s.start_frame:s.end_frame],
                                next_state_in_current_camera(packed, camera, s.start_frame, s.end_frame), fov,
                                meta.task_index(s.instruction), camera[s.start_frame:s.end_frame].astype(np.float32))
                    for s in source.spans]
        rows = [{"span_index": k, "start_frame": s.start_frame, "end_frame": s.end_frame, "hand": s.hand,
                 "instruction": s.instruction, "rephrasings": list(s.rephrasings), "primitives": list(s.primitives),
                 "quality": dict(s.quality)} for k, s in enumerate(source.spans)]
        record = dict(excluded=list(source.excluded), clip_fps=fps, clip_frames=poses.num_frames, clip_name=source.clip_path.name,
                      intrinsics=poses.intrinsics.model_dump(), fov_deg=list(fov), mirrored=poses.mirrored,
                      rest_pose_m=[_json_points(hand) for hand in poses.rest_pose_m], fingerprint=source.fingerprint,
                      input_signature=source.input_signature)
        return write_source(root, meta, txn, source.video_id, episodes, parts, image_stats, rows, record)


def add_recorded(
    root: Path | str, source: RecordedEpisodesInput, settings: DatasetSettings | None = None
) -> VideoUpdate:
    """Write in-memory recorded episodes (robot or simulator) into the dataset at `root`, replacing any
    earlier episodes of `source.source_id`; same format, slots and atomicity as `add_video`. Each episode's
    action is its commanded targets when given, else its next observed state."""
    root = Path(root)
    with writing(root) as txn:
        meta = DatasetMeta.load_or_new(root, settings)
        check_fps(meta, source.source_id, source.fps, "recording")
        cfg = meta.settings
        parts = [txn.scratch_path(f"{source.source_id}/{k}.mp4") for k in range(len(source.episodes))]
        image_stats = [write_frames_video(e.frames, part, cfg.image_size_px, meta.fps, cfg.crf)
                       for e, part in zip(source.episodes, parts)]
        episodes = [EpisodeRows(
            e.state.astype(np.float32),
            e.action.astype(np.float32) if e.action is not None else next_state_in_current_camera(
                e.state, identity_poses(e.num_frames), 0, e.num_frames),
            source.fov_deg, meta.task_index(e.instruction), identity_poses(e.num_frames)) for e in source.episodes]
        rows = [{"span_index": k, "start_frame": 0, "end_frame": e.num_frames, "hand": e.hand,
                 "instruction": e.instruction, "rephrasings": [], "primitives": [],
                 "action_source": "commanded" if e.action is not None else "next_state", **e.extra}
                for k, e in enumerate(source.episodes)]
        record = dict(kind="recorded", fps=source.fps, fov_deg=list(source.fov_deg), fingerprint=source.fingerprint)
        return write_source(root, meta, txn, source.source_id, episodes, parts, image_stats, rows, record)


def remove_video(root: Path | str, video_id: str) -> list[int]:
    """Drop a source's episodes and files; returns the episode indices it held. Unknown ids are a no-op."""
    root = Path(root)
    with writing(root) as txn:
        meta = DatasetMeta.load(root)
        if video_id not in meta.videos:
            return []
        before = meta.numbering()
        number = before[video_id]
        record = meta.videos.pop(video_id)
        if record["episodes"]:
            _delete_slot(meta, txn, record["slot"])
        _renumber(root, meta, txn, before, skip=None)
        meta.stage(txn)
        txn.commit()
        return list(range(number.first_episode, number.first_episode + number.episodes))


def build_dataset(root: Path | str, sources: Iterable[VideoEpisodesInput],
                  settings: DatasetSettings | None = None) -> list[VideoUpdate]:
    """Add each video in order (a from-scratch build is just a sequence of adds)."""
    return [add_video(root, source, settings) for source in sources]
