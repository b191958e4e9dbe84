"""The `episodes` stage: bring the human V-L-A dataset (`data/episodes`) up to date with the per-video outputs.

Incremental: a video whose upstream files are unchanged (same fingerprint) is skipped, a new one is
appended, a reprocessed one replaces only its own episodes, and a video whose captions are gone is
removed. The same function serves the Dagster asset and `vitra episodes build` (the DVC stage).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np

from pydantic import BaseModel

from vitra_core.camera.compensate import points_in_anchor
from vitra_core.camera.result import CameraMotion
from vitra_core.camera.stage import (
    CAMERA_MOTION_STAGE, MOTION_FILE, read_camera_motion, read_lifted_poses, world_from_camera,
)
from vitra_core.captions.stage import CAPTIONS_FILE, CAPTIONS_STAGE, read_captions
from vitra_core.episodes.anchor import pack_poses
from vitra_core.episodes.lerobot_format import DatasetSettings
from vitra_core.episodes.quality import EpisodeQuality, QualitySettings, episode_quality
from vitra_core.episodes.state_layout import HAND_SIDES
from vitra_core.hands.result import HandPoses
from vitra_core.hands.skeleton import WRIST
from vitra_core.episodes.meta import DatasetMeta, read_stats
from vitra_core.episodes.source import EpisodeSpan, VideoEpisodesInput
from vitra_core.episodes.shards import append_shards
from vitra_core.episodes.writer import add_video, build_dataset, remove_video
from vitra_core.hands.stage import HAND_POSES_STAGE, POSES_FILE
from vitra_core.layout import DataLayout
from vitra_core.segments.stage import SEGMENTS_FILE, SEGMENTS_STAGE, read_segments
from vitra_core.video.raw_clip import CLIP_FILE, META_FILE, RAW_CLIPS_STAGE

EPISODES_DIR = "episodes"
EPISODES_STAGE = "episodes"  # its dvc.yaml stage
ALGORITHM_VERSION = "2"  # 2: LeRobot v3.0, camera poses and anchor-frame actions, quality floor
CODE_VERSION = f"episodes-v{ALGORITHM_VERSION}"


class SyncReport(BaseModel):
    added: list[str] = []
    replaced: list[str] = []
    unchanged: list[str] = []
    removed: list[str] = []
    episodes: int = 0
    frames: int = 0
    excluded: int = 0  # spans below the quality floor, over all videos


def dataset_dir(layout: DataLayout):
    return layout.root / EPISODES_DIR


def _inputs(layout: DataLayout, video_id: str) -> list:
    return [
        layout.stage_dir(RAW_CLIPS_STAGE, video_id) / META_FILE,
        layout.stage_dir(HAND_POSES_STAGE, video_id) / POSES_FILE,
        layout.stage_dir(CAMERA_MOTION_STAGE, video_id) / MOTION_FILE,
        layout.stage_dir(SEGMENTS_STAGE, video_id) / SEGMENTS_FILE,
        layout.stage_dir(CAPTIONS_STAGE, video_id) / CAPTIONS_FILE,
    ]


def input_signature(layout: DataLayout, video_id: str, quality: QualitySettings) -> str:
    """The inputs' sizes, mtimes (ns) and inodes with the quality settings: equal to the stored one, the
    inputs were not rewritten, so a sync skips reading them (as DVC's state database skips re-hashing)."""
    stats = [(s.st_size, s.st_mtime_ns, s.st_ino) for s in (path.stat() for path in _inputs(layout, video_id))]
    return hashlib.sha256(f"{quality.model_dump_json()}{stats}".encode()).hexdigest()


def input_fingerprint(layout: DataLayout, video_id: str, quality: QualitySettings) -> str:
    """SHA-256 over the per-video files an episode is made from and the quality settings that select them."""
    digest = hashlib.sha256(quality.model_dump_json().encode())
    for path in _inputs(layout, video_id):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _span_quality(poses: HandPoses, motion: CameraMotion, wrist_world_m: np.ndarray, start: int, end: int, hand: int,
                  settings: QualitySettings) -> EpisodeQuality:
    detected = poses.mask[start:end, hand] & ~poses.interpolated[start:end, hand]
    return episode_quality(detected, motion.valid[start:end], wrist_world_m[start:end, hand],
                           poses.joints_cam[start:end, hand, WRIST, 2], poses.fps, settings)


def episode_input(layout: DataLayout, video_id: str, fingerprint: str, quality: QualitySettings,
                  signature: str | None = None) -> VideoEpisodesInput:
    """One episode per captioned segment whose quality reaches the floor: its frame range, instruction,
    rephrasings, primitives and quality; the others are listed as excluded. Camera poses come from the
    camera-motion stage (rotation; translation only when metric)."""
    poses, motion = read_lifted_poses(layout, video_id), read_camera_motion(layout, video_id)
    wrist_world = points_in_anchor(poses.joints_cam[:, :, WRIST], motion, 0)
    primitives = {(s.hand, s.start_frame, s.end_frame): s.primitives for s in read_segments(layout, video_id).segments}
    spans, excluded = [], []
    for c in read_captions(layout, video_id).captions:
        figures = _span_quality(poses, motion, wrist_world, c.start_frame, c.end_frame, HAND_SIDES.index(c.hand), quality)
        span = EpisodeSpan(start_frame=c.start_frame, end_frame=c.end_frame, instruction=c.instruction,
                           rephrasings=c.rephrasings, primitives=primitives.get((c.hand, c.start_frame, c.end_frame), []),
                           hand=c.hand, quality=figures.model_dump())
        if figures.score >= quality.min_score:
            spans.append(span)
        else:
            excluded.append({**span.model_dump(include={"start_frame", "end_frame", "hand", "instruction", "quality"}),
                             "reason": f"quality {figures.score:.2f} < floor {quality.min_score:.2f}"})
    return VideoEpisodesInput(
        video_id=video_id, clip_path=layout.stage_dir(RAW_CLIPS_STAGE, video_id) / CLIP_FILE, poses=poses,
        spans=spans, fingerprint=fingerprint, camera_poses=pack_poses(*world_from_camera(motion)), excluded=excluded,
        input_signature=signature,
    )


def captioned_videos(layout: DataLayout) -> list[str]:
    return [v for v in layout.raw_video_ids() if (layout.stage_dir(CAPTIONS_STAGE, v) / CAPTIONS_FILE).exists()]


def _write_shard(shard: Path, data_root: Path, videos: list[tuple[str, str, str]], settings: DatasetSettings,
                 quality: QualitySettings) -> None:
    """One worker's batch of new videos ((id, fingerprint, signature) each) written as a shard dataset."""
    layout = DataLayout(data_root)
    build_dataset(shard, [episode_input(layout, vid, fingerprint, quality, signature)
                          for vid, fingerprint, signature in videos], settings)


def _add_in_shards(root: Path, layout: DataLayout, videos: list[tuple[str, str, str]], settings: DatasetSettings,
                   quality: QualitySettings, workers: int) -> None:
    """Write new videos in `workers` processes, a contiguous batch each, then append the shards in order
    (the same slots and numbers as adding them one by one)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    base = root.parent / f".{root.name}.shards"
    shutil.rmtree(base, ignore_errors=True)  # left by an interrupted sync
    size = -(-len(videos) // workers)
    batches = [videos[start:start + size] for start in range(0, len(videos), size)]
    shards = [base / f"{k:03d}" for k in range(len(batches))]
    try:
        with ProcessPoolExecutor(len(batches), mp_context=multiprocessing.get_context("spawn")) as pool:
            for done in [pool.submit(_write_shard, shard, layout.root, batch, settings, quality)
                         for shard, batch in zip(shards, batches)]:
                done.result()
        append_shards(root, shards)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def sync_episodes(layout: DataLayout, settings: DatasetSettings, quality: QualitySettings,
                  workers: int = 1) -> SyncReport:
    """Bring the dataset up to date (module docstring). With `workers` > 1, new videos are written in that
    many processes as shards and appended (shards.py); replaced ones are rewritten in place, one by one."""
    root = dataset_dir(layout)
    known = DatasetMeta.load(root).index_entries() if (root / "meta" / "info.json").exists() else {}
    report, new = SyncReport(), []
    current = captioned_videos(layout)
    for video_id in current:
        entry, signature = known.get(video_id, {}), input_signature(layout, video_id, quality)
        if entry.get("input_signature") == signature or entry.get("fingerprint") == (
                fingerprint := input_fingerprint(layout, video_id, quality)):
            report.unchanged.append(video_id)
            continue
        if video_id in known:
            report.replaced.append(video_id)
            add_video(root, episode_input(layout, video_id, fingerprint, quality, signature), settings)
        else:
            report.added.append(video_id)
            new.append((video_id, fingerprint, signature))
    if workers > 1 and len(new) > 1:
        _add_in_shards(root, layout, new, settings, quality, workers)
    else:
        for vid, fingerprint, signature in new:
            add_video(root, episode_input(layout, vid, fingerprint, quality, signature), settings)
    for video_id in sorted(set(known) - set(current)):
        remove_video(root, video_id)
        report.removed.append(video_id)
    if (root / "meta" / "info.json").exists():
        meta = DatasetMeta.load(root)
        report.episodes, report.frames, report.excluded = meta.total_episodes, meta.total_frames, meta.excluded_count()
    return report


def nonfinite_stats(layout: DataLayout) -> list[str]:
    """Names of normalisation statistics holding NaN or infinity (must be none)."""
    stats = read_stats(dataset_dir(layout))
    return [f"{feature}.{key}" for feature, values in stats.items() for key, array in values.items()
            if not np.isfinite(np.asarray(array, dtype=np.float64)).all()]
