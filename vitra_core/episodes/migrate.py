"""Bring a dataset an earlier VITRA-Ops wrote to the current layout (`vitra episodes migrate`).

Format 2 (v3.0 already, but every source's record inside meta/vitra_dataset.json) only has its records split
into their own files (meta.py); the LeRobot files stay as they are. LeRobot v2.1 (one parquet and one mp4 per
episode, format 1) is converted to v3.0, losslessly: every source keeps its episodes in their order and the
task list its order; states, fov and per-episode stats are copied; each source's episode mp4s are joined by
stream copy (the same coded frames, so decoding gives the same pixels). v2.1 had no camera motion: every
camera pose is the identity. v2.1 had no `action` column; the action is the next state as the writer records
it: the clip's next frame, taken from any episode of the same video that covers it, else (an episode ending at
the clip's end or before a gap) the frame's own state. Recorded sources get the next state with a hold at the
end, as `add_recorded` without commands does. The new dataset is built beside the old one and swapped in
whole, under the old one's write lock.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from vitra_core.episodes.anchor import identity_poses
from vitra_core.episodes.lerobot_format import FOV_KEY, STATE_KEY, DatasetSettings, EpisodeRows
from vitra_core.episodes.meta import VITRA_DATASET_FILE, DatasetMeta, EpisodeDatasetError
from vitra_core.episodes.state_layout import STATE_DIM
from vitra_core.episodes.stats import stats_from_json
from vitra_core.episodes.transaction import writing
from vitra_core.episodes.writer import write_source
from vitra_core.fsutil import publish_dir

V21_DATA = "data/chunk-{chunk:03d}/episode_{index:06d}.parquet"
V21_VIDEO = "videos/chunk-{chunk:03d}/{key}/episode_{index:06d}.mp4"
V21_ROW_KEYS = ("episode_index", "video_id", "index_from", "task_index", "length", "hand_state")  # rebuilt by v3.0


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _v21_state(path: Path) -> tuple[np.ndarray, np.ndarray]:
    table = pq.read_table(path)
    rows = table.num_rows
    state = table.column(STATE_KEY).combine_chunks().flatten().to_numpy().reshape(rows, STATE_DIM)
    fov = table.column(FOV_KEY).combine_chunks().flatten().to_numpy().reshape(rows, 2)
    return state, fov


def _human_actions(rows: list[dict], states: list[np.ndarray]) -> list[np.ndarray]:
    """Next-state actions of one video's episodes: clip frame f + 1 from whichever episode holds it."""
    by_frame = {}
    for row, state in zip(rows, states):
        for k, frame in enumerate(range(row["start_frame"], row["end_frame"])):
            by_frame.setdefault(frame, state[k])
    actions = []
    for row, state in zip(rows, states):
        following = [by_frame.get(frame + 1, state[k])
                     for k, frame in enumerate(range(row["start_frame"], row["end_frame"]))]
        actions.append(np.stack(following).astype(np.float32))
    return actions


def is_v21(root: Path | str) -> bool:
    path = Path(root) / VITRA_DATASET_FILE
    return path.is_file() and json.loads(path.read_text()).get("format_version") == 1


def migrate(root: Path | str) -> DatasetMeta:
    """Migrate the dataset at `root` from whichever earlier layout it has (format 2 or LeRobot v2.1)."""
    path = Path(root) / VITRA_DATASET_FILE
    if path.is_file() and json.loads(path.read_text()).get("format_version") == 2:
        with writing(root) as txn:
            DatasetMeta.load(root).stage(txn)  # loading format 2 takes every record as changed
            txn.commit()
        return DatasetMeta.load(root)
    return migrate_v21(root)


def migrate_v21(root: Path | str) -> DatasetMeta:
    """Rewrite the v2.1 dataset at `root` as v3.0 in place (atomically); returns the new meta."""
    root = Path(root)
    if not is_v21(root):
        raise EpisodeDatasetError(root, "not a LeRobot v2.1 dataset written by VITRA-Ops (meta/vitra_dataset.json "
                                        "format_version 1)")
    target = root.parent / f".{root.name}.v30"
    with writing(root):
        own = json.loads((root / VITRA_DATASET_FILE).read_text())
        episodes = {row["episode_index"]: row for row in _jsonl(root / "meta/vitra_episodes.jsonl")}
        stats = {row["episode_index"]: stats_from_json(row["stats"]) for row in _jsonl(root / "meta/episodes_stats.jsonl")}
        tasks = [row["task"] for row in sorted(_jsonl(root / "meta/tasks.jsonl"), key=lambda r: r["task_index"])]
        settings = DatasetSettings.model_validate(own["settings"])
        key, size = settings.image_key, settings.chunks_size
        order = sorted(own["videos"], key=lambda vid: min(own["videos"][vid]["episodes"], default=1 << 62))
        if not order:
            raise EpisodeDatasetError(root, "the dataset has no sources to migrate")
        shutil.rmtree(target, ignore_errors=True)  # left by an interrupted migration
        for vid in order:
            old = own["videos"][vid]
            indices = sorted(old["episodes"])
            rows = [episodes[i] for i in indices]
            loaded = [_v21_state(root / V21_DATA.format(chunk=i // size, index=i)) for i in indices]
            states = [state for state, _ in loaded]
            if old.get("kind") == "recorded":
                actions = [np.concatenate([s[1:], s[-1:]]).astype(np.float32) for s in states]
            else:
                actions = _human_actions(rows, states)
            with writing(target) as txn:
                meta = DatasetMeta.load_or_new(target, settings)
                meta.fps, meta.tasks = own["fps"], list(tasks)
                parts = [root / V21_VIDEO.format(chunk=i // size, key=key, index=i) for i in indices]
                rows_of = [EpisodeRows(s, a, tuple(float(x) for x in fov[0]), row["task_index"], identity_poses(len(s)))
                           for s, a, (_, fov), row in zip(states, actions, loaded, rows)]
                image = [stats[i][key] for i in indices]
                kept = [{k: v for k, v in row.items() if k not in V21_ROW_KEYS} for row in rows]
                if old.get("kind") == "recorded":
                    for row in kept:
                        row["action_source"] = "next_state"
                record = {k: v for k, v in old.items() if k not in ("block", "episodes")}
                write_source(target, meta, txn, vid, rows_of, parts, image, kept, record)
        publish_dir(target, root)
    return DatasetMeta.load(root)
