"""The dataset's meta/ folder in memory: LeRobot's files plus ours, read and staged as a whole.

Ours: meta/vitra_dataset.json (settings, fps, index allocators, and per video its episode block,
intrinsics and hand skeletons) and meta/vitra_episodes.jsonl (per episode: source video, frame range,
hand, instruction, rephrasings, primitives). All of meta/ is small and is rewritten on every update;
data and video files of untouched episodes never are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from vitra_core.episodes.lerobot_format import (
    EPISODES_FILE, EPISODES_STATS_FILE, INFO_FILE, STATS_FILE, TASKS_FILE, DatasetSettings, info_json,
)
from vitra_core.episodes.stats import FeatureStats, merge_dataset_stats, stats_from_json, stats_to_json
from vitra_core.episodes.transaction import Transaction
from vitra_core.errors import VitraError

VITRA_DATASET_FILE = "meta/vitra_dataset.json"
VITRA_EPISODES_FILE = "meta/vitra_episodes.jsonl"
VITRA_FORMAT_VERSION = 1
# present-only stats of the 102 hand dims (per-dim counts), kept per episode in vitra_episodes.jsonl and
# merged into stats.json: LeRobot's episodes_stats.jsonl allows only one count per feature.
HAND_STATS_KEY = "hand_state"


class EpisodeDatasetError(VitraError):
    """An episode dataset folder is missing, of another format, or inconsistent."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8")


@dataclass
class DatasetMeta:
    """Everything under meta/. Episode-keyed dicts are keyed by episode_index."""

    settings: DatasetSettings
    fps: float | None = None
    next_episode_index: int = 0
    next_frame_index: int = 0
    videos: dict[str, dict] = field(default_factory=dict)
    episodes: dict[int, dict] = field(default_factory=dict)  # vitra_episodes.jsonl rows (incl. length, task_index)
    episode_stats: dict[int, dict[str, FeatureStats]] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path | str) -> "DatasetMeta":
        root = Path(root)
        if not (root / VITRA_DATASET_FILE).is_file():
            raise EpisodeDatasetError(root, f"no {VITRA_DATASET_FILE}: not a VITRA-Ops episode dataset")
        own = json.loads((root / VITRA_DATASET_FILE).read_text())
        if own.get("format_version") != VITRA_FORMAT_VERSION:
            raise EpisodeDatasetError(root, f"format version {own.get('format_version')}, expected {VITRA_FORMAT_VERSION}")
        episodes = {row["episode_index"]: row for row in _read_jsonl(root / VITRA_EPISODES_FILE)}
        stats = {row["episode_index"]: stats_from_json(row["stats"]) for row in _read_jsonl(root / EPISODES_STATS_FILE)}
        tasks = [row["task"] for row in sorted(_read_jsonl(root / TASKS_FILE), key=lambda r: r["task_index"])]
        return cls(
            settings=DatasetSettings.model_validate(own["settings"]), fps=own["fps"],
            next_episode_index=own["next_episode_index"], next_frame_index=own["next_frame_index"],
            videos=own["videos"], episodes=episodes, episode_stats=stats, tasks=tasks,
        )

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

    def task_index(self, task: str) -> int:
        """Index of `task` in tasks.jsonl, appending it if new (indices never change once given)."""
        if task not in self.tasks:
            self.tasks.append(task)
        return self.tasks.index(task)

    def merged_stats(self) -> dict[str, FeatureStats]:
        """Every feature's stats over the whole dataset, plus `hand_state` (present-only hand dims)."""
        indices = sorted(self.episodes)
        merged = merge_dataset_stats([self.episode_stats[i] for i in indices])
        hands = [stats_from_json({HAND_STATS_KEY: self.episodes[i][HAND_STATS_KEY]}) for i in indices]
        merged.update(merge_dataset_stats(hands))
        return merged

    def stage(self, txn: Transaction) -> None:
        """Stage every meta file (info.json is moved last by the transaction)."""
        indices = sorted(self.episodes)
        own = {
            "format_version": VITRA_FORMAT_VERSION, "settings": self.settings.model_dump(), "fps": self.fps,
            "next_episode_index": self.next_episode_index, "next_frame_index": self.next_frame_index,
            "videos": {vid: self.videos[vid] for vid in sorted(self.videos)},
        }
        txn.stage_bytes(VITRA_DATASET_FILE, (json.dumps(own, indent=1) + "\n").encode())
        txn.stage_bytes(VITRA_EPISODES_FILE, _jsonl([self.episodes[i] for i in indices]))
        txn.stage_bytes(EPISODES_FILE, _jsonl([
            {"episode_index": i, "tasks": [self.tasks[self.episodes[i]["task_index"]]], "length": self.episodes[i]["length"]}
            for i in indices
        ]))
        txn.stage_bytes(TASKS_FILE, _jsonl([{"task_index": k, "task": task} for k, task in enumerate(self.tasks)]))
        txn.stage_bytes(EPISODES_STATS_FILE, _jsonl([
            {"episode_index": i, "stats": stats_to_json(self.episode_stats[i])} for i in indices
        ]))
        merged = stats_to_json(self.merged_stats()) if indices else {}
        txn.stage_bytes(STATS_FILE, (json.dumps(merged, indent=1) + "\n").encode())
        lengths = {i: self.episodes[i]["length"] for i in indices}
        info = info_json(self.settings, self.fps or 0.0, lengths, len(self.tasks))
        txn.stage_bytes(INFO_FILE, (json.dumps(info, indent=4) + "\n").encode())


def read_stats(root: Path | str) -> dict[str, FeatureStats]:
    """The merged normalisation stats of a dataset (meta/stats.json) as arrays."""
    return stats_from_json(json.loads((Path(root) / STATS_FILE).read_text()))
