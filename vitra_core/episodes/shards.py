"""Parallel episode writing: batches of sources are written as separate datasets (shards), in parallel
processes, then appended to the main dataset without re-encoding anything.

A shard is an ordinary dataset (`build_dataset` / `add_video` into its own folder, same settings). Appending
it gives each of its sources the next slot of the dataset: the mp4 is hard-linked (copied across file
systems) untouched, since it carries no numbers; the small data and meta/episodes parquet files are
rewritten with the dataset's episode and frame numbers and task indices (docs/episodes.md); records, index,
stats and tasks are merged as for any add (stats by the exact parallel merge). Cost per source is a few
small file rewrites, independent of how many sources the dataset already has.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable

import numpy as np

from vitra_core.episodes.lerobot_format import video_file
from vitra_core.episodes.meta import DatasetMeta, EpisodeDatasetError, SourceNumbering
from vitra_core.episodes.stats import compute_stats, merge_stats, stats_to_json
from vitra_core.episodes.transaction import writing
from vitra_core.episodes.writer import check_fps, restage_numbers


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copyfile(source, target)


def _task_stats(rows: list[dict]) -> dict:
    """A source's merged `task_index` stats from its episodes' (remapped) task indices."""
    parts = [compute_stats(np.full((row["length"], 1), row["task_index"])) for row in rows]
    return stats_to_json({"task_index": merge_stats(parts)})


def append_shards(root: Path | str, shards: Iterable[Path | str]) -> list[str]:
    """Append every source of each shard (in shard order, then slot order) to the dataset at `root` (created
    if empty, with the first shard's settings); returns the source ids appended. Atomic, like every update.
    A source id already in the dataset is refused: replace a source with `add_video`."""
    root, added = Path(root), []
    with writing(root) as txn:
        meta = None
        for shard in map(Path, shards):
            part = DatasetMeta.load(shard)
            meta = meta or DatasetMeta.load_or_new(root, part.settings)
            if part.settings.model_dump(exclude={"fps"}) != meta.settings.model_dump(exclude={"fps"}):
                raise EpisodeDatasetError(shard, f"settings {part.settings.model_dump()} differ from the dataset's "
                                                 f"{meta.settings.model_dump()}")
            task_map = np.array([meta.task_index(task) for task in part.tasks], dtype=np.int64)
            for source_id in part.source_order():
                if source_id in meta.videos:
                    raise EpisodeDatasetError(shard, f"source {source_id} is already in {root}")
                record = part.videos[source_id]
                if record["episodes"]:
                    check_fps(meta, source_id, part.fps, "shard")
                rows = [{**row, "task_index": int(task_map[row["task_index"]])} for row in record["episodes"]]
                slot = meta.allocate_slot()
                number = SourceNumbering(meta.total_episodes, meta.total_frames, len(rows),
                                         sum(row["length"] for row in rows))
                stats = record["stats"]
                if rows:
                    restage_numbers(shard, record["slot"], meta, txn, slot, rows, number, task_map)
                    _link_or_copy(shard / video_file(record["slot"], part.settings),
                                  txn.stage_path(video_file(slot, meta.settings)))
                    stats = {**stats, **_task_stats(rows)}
                meta.videos[source_id] = {**record, "slot": slot, "episodes": rows, "stats": stats}
                added.append(source_id)
        if meta is not None:
            meta.stage(txn)
            txn.commit()
    return added
