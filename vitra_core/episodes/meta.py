"""The dataset's bookkeeping: our own meta files beside LeRobot's tasks, info and stats.

Laid out so that adding a source reads and writes only its own record, one bounded index file and a few
fixed-size files, however many sources the dataset holds (LeRobot never reads any of ours):
- `meta/vitra_dataset.json`: format_version 3, settings, fps, the file-slot allocator and the totals;
- `meta/vitra/sources/<source_id>.json`: one source's record: its slot, its episodes in file order (span,
  hand, instruction, rephrasings, primitives, length, task, present-only hand stats), its merged content
  stats, intrinsics, hand skeletons, excluded spans, fingerprint;
- `meta/vitra/index/chunk-XXX.json`: for the slots of chunk XXX, each source's id, episode lengths,
  fingerprint, input signature and excluded count, plus the merged stats of those sources: what numbering, sync and a
  replace need without opening every record.
Episode and frame numbers are not stored: they are dense in slot order, as LeRobot v3.0 needs, and
derived here (`episodes`, `numbering`). Format 2 (every record inside vitra_dataset.json) is read as is and
written in this layout by its next update (`vitra episodes migrate` does it at once).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vitra_core.episodes.lerobot_format import (
    INFO_FILE, STATS_FILE, TASKS_FILE, DatasetSettings, info_json, read_tasks, slot_location, tasks_bytes,
)
from vitra_core.episodes.stats import FeatureStats, merge_dataset_stats, stats_from_json, stats_to_json
from vitra_core.episodes.transaction import Transaction
from vitra_core.errors import VitraError

VITRA_DATASET_FILE = "meta/vitra_dataset.json"
VITRA_FORMAT_VERSION = 3
SOURCE_RECORD = "meta/vitra/sources/{source_id}.json"
INDEX_FILE = "meta/vitra/index/chunk-{chunk_index:03d}.json"
# present-only stats of the 102 hand dims (per-dim counts), kept per episode in its source's record and
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


def positional_stats(lengths: list[int], first_episode: int = 0, first_index: int = 0) -> dict[str, FeatureStats]:
    """Exact `episode_index` and `index` stats of episodes of `lengths` numbered from the given numbers,
    in closed form (no per-frame arrays: the whole dataset's are computed this way)."""
    weights = np.asarray(lengths, dtype=np.float64)
    frames = weights.sum()
    episode = first_episode + np.arange(len(weights), dtype=np.float64)
    mean = (episode * weights).sum() / frames
    count = np.array([frames])

    def stats(lo: float, hi: float, mu: float, var: float) -> FeatureStats:
        return {"min": np.array([lo]), "max": np.array([hi]), "mean": np.array([mu]),
                "std": np.array([np.sqrt(max(var, 0.0))]), "count": count}

    return {"episode_index": stats(episode[0], episode[-1], mean, (weights * (episode - mean) ** 2).sum() / frames),
            "index": stats(first_index, first_index + frames - 1, first_index + (frames - 1) / 2, (frames**2 - 1) / 12)}


def source_stats(record: dict) -> dict[str, FeatureStats]:
    """A source's content stats plus its episodes' present-only hand stats, merged (no positional stats)."""
    hands = [stats_from_json({HAND_STATS_KEY: row[HAND_STATS_KEY]}) for row in record["episodes"]]
    return {**stats_from_json(record["stats"]), **merge_dataset_stats(hands)}


def _merge(parts: list[dict[str, FeatureStats]]) -> dict[str, FeatureStats]:
    return merge_dataset_stats([part for part in parts if part])


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def _json_bytes(payload: dict) -> bytes:
    return (json.dumps(payload, indent=1) + "\n").encode()


def index_entry(source_id: str, record: dict) -> dict:
    return {"source_id": source_id, "lengths": [row["length"] for row in record["episodes"]],
            "fingerprint": record.get("fingerprint"), "input_signature": record.get("input_signature"),
            "excluded": len(record.get("excluded", []))}


class SourceRecords(MutableMapping):
    """Source id -> record, read from its own file on first access; writes are kept until `DatasetMeta.stage`."""

    def __init__(self, meta: "DatasetMeta"):
        self._meta = meta
        self.loaded: dict[str, dict] = {}
        self.changed: set[str] = set()
        self.removed: set[str] = set()

    def _path(self, source_id: str) -> Path | None:
        root = self._meta.root
        return None if root is None else root / SOURCE_RECORD.format(source_id=source_id)

    def __getitem__(self, source_id: str) -> dict:
        if source_id in self.removed:
            raise KeyError(source_id)
        if source_id not in self.loaded:
            path = self._path(source_id)
            if path is None or not path.is_file():
                raise KeyError(source_id)
            self.loaded[source_id] = _read_json(path)
        return self.loaded[source_id]

    def __contains__(self, source_id: object) -> bool:
        if not isinstance(source_id, str) or source_id in self.removed:
            return False
        path = self._path(source_id)
        return source_id in self.loaded or (path is not None and path.is_file())

    def __setitem__(self, source_id: str, record: dict) -> None:
        previous = self.get(source_id)
        self._meta._index_set(source_id, record, previous)
        self.loaded[source_id] = record
        self.changed.add(source_id)
        self.removed.discard(source_id)

    def __delitem__(self, source_id: str) -> None:
        record = self[source_id]
        self._meta._index_remove(source_id, record)
        self.loaded.pop(source_id)
        self.changed.discard(source_id)
        self.removed.add(source_id)

    def __iter__(self) -> Iterator[str]:
        return iter([entry["source_id"] for _, entry in self._meta.slots()])

    def __len__(self) -> int:
        return len(self._meta.slots())


@dataclass
class DatasetMeta:
    """Our meta plus the task list. `videos` maps source id -> record (see module docstring)."""

    settings: DatasetSettings
    root: Path | None = None
    fps: float | None = None
    next_slot: int = 0
    total_episodes: int = 0
    total_frames: int = 0
    tasks: list[str] = field(default_factory=list)
    stats: dict[str, FeatureStats] = field(default_factory=dict)  # merged over the dataset, as in stats.json
    videos: SourceRecords = field(init=False)
    _chunks: dict[int, dict] = field(default_factory=dict)  # chunk index -> {"sources": {slot: entry}, "stats": ...}
    _changed_chunks: set[int] = field(default_factory=set)
    _restat: bool = False  # a source was replaced or removed: merged stats are rebuilt from the chunks
    _stored_tasks: int = 0

    def __post_init__(self) -> None:
        self.videos = SourceRecords(self)
        self._task_index = {task: k for k, task in enumerate(self.tasks)}

    @classmethod
    def load(cls, root: Path | str) -> "DatasetMeta":
        root = Path(root)
        if not (root / VITRA_DATASET_FILE).is_file():
            raise EpisodeDatasetError(root, f"no {VITRA_DATASET_FILE}: not a VITRA-Ops episode dataset")
        own = _read_json(root / VITRA_DATASET_FILE)
        version = own.get("format_version")
        if version not in (2, VITRA_FORMAT_VERSION):
            hint = " (LeRobot v2.1: run `vitra episodes migrate`)" if version == 1 else ""
            raise EpisodeDatasetError(root, f"format version {version}, expected {VITRA_FORMAT_VERSION}{hint}")
        tasks = read_tasks(root / TASKS_FILE) if (root / TASKS_FILE).exists() else []
        stats = stats_from_json(_read_json(root / STATS_FILE)) if (root / STATS_FILE).exists() else {}
        meta = cls(settings=DatasetSettings.model_validate(own["settings"]), root=root, fps=own["fps"],
                   next_slot=own["next_slot"], total_episodes=own.get("total_episodes", 0),
                   total_frames=own.get("total_frames", 0), tasks=tasks, stats=stats, _stored_tasks=len(tasks))
        if version == 2:
            meta._adopt_format_2(own["videos"])
        return meta

    def _adopt_format_2(self, records: dict[str, dict]) -> None:
        """Take format 2's records (all inside vitra_dataset.json) as changed, so the next `stage` writes
        them in this layout; the old file is replaced by the new header then."""
        self.videos.loaded.clear()
        self._chunks, self.stats = {}, {}
        for source_id, record in records.items():
            self.videos[source_id] = record
        self._restat = True

    @classmethod
    def load_or_new(cls, root: Path, settings: DatasetSettings | None) -> "DatasetMeta":
        """The stored meta (checking `settings` match it), or a fresh one for an empty folder."""
        if not (root / VITRA_DATASET_FILE).exists():
            return cls(settings=settings or DatasetSettings(), root=root)
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
        if len(self._task_index) != len(self.tasks):  # the list was assigned (migration keeps the old order)
            self._task_index = {name: k for k, name in enumerate(self.tasks)}
        if task not in self._task_index:
            self._task_index[task] = len(self.tasks)
            self.tasks.append(task)
        return self._task_index[task]

    # the index: chunk files of slot -> entry
    def _chunk(self, chunk: int) -> dict:
        if chunk not in self._chunks:
            path = None if self.root is None else self.root / INDEX_FILE.format(chunk_index=chunk)
            stored = _read_json(path) if path is not None and path.is_file() else {"sources": {}, "stats": {}}
            self._chunks[chunk] = {"sources": {int(slot): entry for slot, entry in stored["sources"].items()},
                                   "stats": stats_from_json(stored["stats"])}
        return self._chunks[chunk]

    def slots(self) -> list[tuple[int, dict]]:
        """(slot, index entry) of every source, in slot order: the order LeRobot reads them in."""
        for chunk in range(-(-self.next_slot // self.settings.chunks_size)):
            self._chunk(chunk)
        return sorted((slot, entry) for chunk in self._chunks.values() for slot, entry in chunk["sources"].items())

    def _index_set(self, source_id: str, record: dict, previous: dict | None) -> None:
        chunk = slot_location(record["slot"], self.settings.chunks_size)["chunk_index"]
        entry = index_entry(source_id, record)
        if previous is not None:
            self._index_remove(source_id, previous)
        else:  # an append: the merged stats grow by this source at the end of the numbering
            stats = source_stats(record) if record["episodes"] else {}
            if stats:
                self.stats = _merge([self.stats, stats, positional_stats(
                    entry["lengths"], self.total_episodes, self.total_frames)])
                self._chunk(chunk)["stats"] = _merge([self._chunk(chunk)["stats"], stats])
        self._chunk(chunk)["sources"][record["slot"]] = entry
        self._changed_chunks.add(chunk)
        self.total_episodes += len(entry["lengths"])
        self.total_frames += sum(entry["lengths"])

    def _index_remove(self, source_id: str, record: dict) -> None:
        chunk = slot_location(record["slot"], self.settings.chunks_size)["chunk_index"]
        entry = self._chunk(chunk)["sources"].pop(record["slot"])
        self._changed_chunks.add(chunk)
        self._restat = True
        self.total_episodes -= len(entry["lengths"])
        self.total_frames -= sum(entry["lengths"])

    def index_entries(self) -> dict[str, dict]:
        """Source id -> its index entry: lengths, fingerprint, input_signature, excluded (no record read)."""
        return {entry["source_id"]: entry for _, entry in self.slots()}

    def excluded_count(self) -> int:
        """Spans below the quality floor over all sources (from the index)."""
        return sum(entry["excluded"] for _, entry in self.slots())

    def source_order(self) -> list[str]:
        """Source ids in file-slot order: the order LeRobot reads them in."""
        return [entry["source_id"] for _, entry in self.slots()]

    def numbering(self) -> dict[str, SourceNumbering]:
        out, episode, frame = {}, 0, 0
        for _, entry in self.slots():
            lengths = entry["lengths"]
            out[entry["source_id"]] = SourceNumbering(episode, frame, len(lengths), sum(lengths))
            episode, frame = episode + len(lengths), frame + sum(lengths)
        return out

    @property
    def episodes(self) -> dict[int, dict]:
        """Every episode by its index: its row plus episode_index, video_id, index_from (global frame) and
        offset (its first frame within its source's files). Reads every record."""
        out = {}
        for vid, number in self.numbering().items():
            offset = 0
            for k, row in enumerate(self.videos[vid]["episodes"]):
                index = number.first_episode + k
                out[index] = {**row, "episode_index": index, "video_id": vid,
                              "index_from": number.first_index + offset, "offset": offset}
                offset += row["length"]
        return out

    def _rebuild_stats(self) -> None:
        """After a replace or remove (min and max cannot be un-merged): each changed chunk's stats again from
        its sources' records, then the dataset's from every chunk's plus the positional stats."""
        for chunk in self._changed_chunks:
            sources = self._chunk(chunk)["sources"]
            self._chunk(chunk)["stats"] = _merge([source_stats(self.videos[entry["source_id"]])
                                                  for entry in sources.values() if entry["lengths"]])
        lengths = [length for _, entry in self.slots() for length in entry["lengths"]]
        chunks = [chunk["stats"] for chunk in self._chunks.values()]
        self.stats = _merge(chunks + [positional_stats(lengths)]) if lengths else {}

    def stage(self, txn: Transaction) -> None:
        """Stage our changed records and index chunks, the header, tasks (when new ones came), stats and
        info (info.json is moved last by the transaction)."""
        if self._restat:
            self._rebuild_stats()
        for source_id in sorted(self.videos.changed):
            txn.stage_bytes(SOURCE_RECORD.format(source_id=source_id), _json_bytes(self.videos.loaded[source_id]))
        for source_id in sorted(self.videos.removed):
            txn.delete(SOURCE_RECORD.format(source_id=source_id))
        for chunk in sorted(self._changed_chunks):
            stored = self._chunk(chunk)
            payload = {"sources": {str(slot): stored["sources"][slot] for slot in sorted(stored["sources"])},
                       "stats": stats_to_json(stored["stats"])}
            txn.stage_bytes(INDEX_FILE.format(chunk_index=chunk), _json_bytes(payload))
        own = {"format_version": VITRA_FORMAT_VERSION, "settings": self.settings.model_dump(), "fps": self.fps,
               "next_slot": self.next_slot, "total_episodes": self.total_episodes, "total_frames": self.total_frames}
        txn.stage_bytes(VITRA_DATASET_FILE, _json_bytes(own))
        if len(self.tasks) != self._stored_tasks or self.root is None or not (self.root / TASKS_FILE).exists():
            txn.stage_bytes(TASKS_FILE, tasks_bytes(self.tasks))
        txn.stage_bytes(STATS_FILE, _json_bytes(stats_to_json(self.stats) if self.total_episodes else {}))
        info = info_json(self.settings, self.fps or 0.0, self.total_episodes, self.total_frames,
                         len(self.tasks)) if self.fps else {}
        txn.stage_bytes(INFO_FILE, (json.dumps(info, indent=4) + "\n").encode())


def read_stats(root: Path | str) -> dict[str, FeatureStats]:
    """The merged normalisation stats of a dataset (meta/stats.json) as arrays."""
    return stats_from_json(json.loads((Path(root) / STATS_FILE).read_text()))
