"""The dataset's bookkeeping in memory: our meta/vitra_dataset.json plus LeRobot's tasks, info and stats.

meta/vitra_dataset.json (ours; LeRobot never reads or writes it) holds the settings, the fps, the
file-slot allocator and, per source (video or recording), its slot, its episodes in file order (span,
hand, instruction, rephrasings, primitives, length, task, present-only hand stats), its merged
per-feature stats, intrinsics and hand skeletons. Episode and frame numbers are not stored: they are
dense in slot order, as LeRobot v3.0 needs, and derived here (`episodes`, `numbering`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vitra_core.episodes.lerobot_format import (
    INFO_FILE, STATS_FILE, TASKS_FILE, DatasetSettings, info_json, read_tasks, tasks_bytes,
)
from vitra_core.episodes.stats import (
    FeatureStats, compute_stats, merge_dataset_stats, stats_from_json, stats_to_json,
)
from vitra_core.episodes.transaction import Transaction
from vitra_core.errors import VitraError

VITRA_DATASET_FILE = "meta/vitra_dataset.json"
VITRA_FORMAT_VERSION = 2
# present-only stats of the 102 hand dims (per-dim counts), kept per episode in vitra_dataset.json and
# merged into stats.json: LeRobot's stats allow only one count per feature.
HAND_STATS_KEY = "hand_state"
# stats that depend on where a source sits in the dataset: computed from the numbering, never stored per source
POSITIONAL_KEYS = ("episode_index", "index")


class EpisodeDatasetError(VitraError):
    """An episode dataset folder is missing, of another format, or inconsistent."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class SourceNumbering:
    """Where a source's episodes and frames sit in the dense numbering."""

    first_episode: int
    first_index: int
    episodes: int
    frames: int


@dataclass
class DatasetMeta:
    """Our meta plus the task list. `videos` maps source id -> record (see module docstring)."""

    settings: DatasetSettings
    fps: float | None = None
    next_slot: int = 0
    videos: dict[str, dict] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path | str) -> "DatasetMeta":
        root = Path(root)
        if not (root / VITRA_DATASET_FILE).is_file():
            raise EpisodeDatasetError(root, f"no {VITRA_DATASET_FILE}: not a VITRA-Ops episode dataset")
        own = json.loads((root / VITRA_DATASET_FILE).read_text())
        if own.get("format_version") != VITRA_FORMAT_VERSION:
            hint = " (LeRobot v2.1: run `vitra episodes migrate`)" if own.get("format_version") == 1 else ""
            raise EpisodeDatasetError(
                root, f"format version {own.get('format_version')}, expected {VITRA_FORMAT_VERSION}{hint}")
        tasks = read_tasks(root / TASKS_FILE) if (root / TASKS_FILE).exists() else []
        return cls(settings=DatasetSettings.model_validate(own["settings"]), fps=own["fps"],
                   next_slot=own["next_slot"], videos=own["videos"], tasks=tasks)

    @classmethod
    def load_or_new(cls, root: Path, settings: DatasetSettings | None) -> "DatasetMeta":
        """The stored meta (checking `settings` match it), or a fresh one for an empty folder."""
        if not (root / VITRA_DATASET_FILE).exists():
            return cls(settings=settings or DatasetSettings())
        meta = cls.load(root)
        if settings is not None and settings.model_dump(exclude={"fps"}) != meta.settings.model_dump(exclude={"fps"}):
            raise EpisodeDatasetError(root, f"settings {settings.model_dump()} differ from the dataset's "
                                            f"{meta.settings.model_dump()}")
        return meta

    def allocate_slot(self) -> int:
        slot = self.next_slot
        self.next_slot += 1
        return slot

    def task_index(self, task: str) -> int:
        """Index of `task` in tasks.parquet, appending it if new (indices never change once given)."""
        if task not in self.tasks:
            self.tasks.append(task)
        return self.tasks.index(task)

    def source_order(self) -> list[str]:
        """Source ids in file-slot order: the order LeRobot reads them in."""
        return sorted(self.videos, key=lambda vid: self.videos[vid]["slot"])

    def numbering(self) -> dict[str, SourceNumbering]:
        out, episode, frame = {}, 0, 0
        for vid in self.source_order():
            rows = self.videos[vid]["episodes"]
            frames = sum(row["length"] for row in rows)
            out[vid] = SourceNumbering(episode, frame, len(rows), frames)
            episode, frame = episode + len(rows), frame + frames
        return out

    @property
    def episodes(self) -> dict[int, dict]:
        """Every episode by its index: its row plus episode_index, video_id, index_from (global frame) and
        offset (its first frame within its source's files)."""
        out = {}
        for vid, number in self.numbering().items():
            offset = 0
            for k, row in enumerate(self.videos[vid]["episodes"]):
                index = number.first_episode + k
                out[index] = {**row, "episode_index": index, "video_id": vid,
                              "index_from": number.first_index + offset, "offset": offset}
                offset += row["length"]
        return out

    def merged_stats(self) -> dict[str, FeatureStats]:
        """Every feature's stats over the whole dataset, plus `hand_state` (present-only hand dims)."""
        order = self.source_order()
        merged = merge_dataset_stats([stats_from_json(self.videos[vid]["stats"]) for vid in order])
        lengths = np.array([row["length"] for vid in order for row in self.videos[vid]["episodes"]])
        merged["episode_index"] = compute_stats(np.repeat(np.arange(len(lengths)), lengths).reshape(-1, 1))
        merged["index"] = compute_stats(np.arange(lengths.sum()).reshape(-1, 1))
        hands = [stats_from_json({HAND_STATS_KEY: row[HAND_STATS_KEY]})
                 for vid in order for row in self.videos[vid]["episodes"]]
        merged.update(merge_dataset_stats(hands))
        return merged

    def stage(self, txn: Transaction) -> None:
        """Stage our meta, tasks, stats and info (info.json is moved last by the transaction)."""
        own = {
            "format_version": VITRA_FORMAT_VERSION, "settings": self.settings.model_dump(), "fps": self.fps,
            "next_slot": self.next_slot, "videos": {vid: self.videos[vid] for vid in sorted(self.videos)},
        }
        txn.stage_bytes(VITRA_DATASET_FILE, (json.dumps(own, indent=1) + "\n").encode())
        txn.stage_bytes(TASKS_FILE, tasks_bytes(self.tasks))
        episodes = sum(len(record["episodes"]) for record in self.videos.values())
        merged = stats_to_json(self.merged_stats()) if episodes else {}
        txn.stage_bytes(STATS_FILE, (json.dumps(merged, indent=1) + "\n").encode())
        frames = sum(row["length"] for record in self.videos.values() for row in record["episodes"])
        info = info_json(self.settings, self.fps or 0.0, episodes, frames, len(self.tasks)) if self.fps else {}
        txn.stage_bytes(INFO_FILE, (json.dumps(info, indent=4) + "\n").encode())


def read_stats(root: Path | str) -> dict[str, FeatureStats]:
    """The merged normalisation stats of a dataset (meta/stats.json) as arrays."""
    return stats_from_json(json.loads((Path(root) / STATS_FILE).read_text()))
