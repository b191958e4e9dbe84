"""The dataset against LeRobot's documented v3.0 layout (LeRobot's own reader: test_lerobot_real.py).

What LeRobot 0.6 relies on and this checks: the files named by info.json's templates; meta/episodes rows
indexed by position (episode_index == row number, in path order); data rows whose `index` equals their
position in path order (LeRobot queries action chunks by it); per-episode video spans that start at
from_timestamp in the file, frame timestamps exactly k / fps; tasks.parquet indexed by the task string.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vitra_core.episodes import CODEBASE_VERSION, STATE_NAMES

INFO_KEYS = {"codebase_version", "robot_type", "total_episodes", "total_frames", "total_tasks", "chunks_size",
             "data_files_size_in_mb", "video_files_size_in_mb", "fps", "splits", "data_path", "video_path", "features"}
COLUMN_TYPES = {
    "observation.state": pa.list_(pa.float32(), 104), "action": pa.list_(pa.float32(), 104),
    "observation.fov": pa.list_(pa.float32(), 2), "camera.world_from_camera": pa.list_(pa.float32(), 12),
    "timestamp": pa.float32(), "frame_index": pa.int64(),
    "episode_index": pa.int64(), "index": pa.int64(), "task_index": pa.int64(),
}
VIDEO = "observation.images.main"


def _frame_times(path) -> np.ndarray:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "frame=pts_time",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    return np.array([float(line.strip(",")) for line in out.split()])


def test_dataset_matches_the_v30_layout(incremental_build):
    root = incremental_build["root"]
    info = json.loads((root / "meta/info.json").read_text())
    assert INFO_KEYS <= set(info) and info["codebase_version"] == CODEBASE_VERSION == "v3.0"
    assert isinstance(info["fps"], int) and info["splits"] == {"train": f"0:{info['total_episodes']}"}
    features = info["features"]
    for key in ("observation.state", "action"):
        assert features[key] == {"dtype": "float32", "shape": [104], "names": STATE_NAMES}
    assert features[VIDEO]["dtype"] == "video" and features[VIDEO]["shape"] == [224, 224, 3]
    assert all({"dtype", "shape", "names"} <= set(spec) for spec in features.values())

    tasks = pd.read_parquet(root / "meta/tasks.parquet")
    assert tasks.index.name == "task" and list(tasks["task_index"]) == list(range(info["total_tasks"]))
    task_of = {int(i): task for task, i in zip(tasks.index, tasks["task_index"])}

    episodes = [row for path in sorted((root / "meta/episodes").glob("*/*.parquet"))
                for row in pq.read_table(path).to_pylist()]
    assert [row["episode_index"] for row in episodes] == list(range(info["total_episodes"]))
    data = pa.concat_tables([pq.read_table(p) for p in sorted((root / "data").glob("*/*.parquet"))])
    assert {name: data.schema.field(name).type for name in data.column_names} == COLUMN_TYPES
    assert data.num_rows == info["total_frames"]
    np.testing.assert_array_equal(data.column("index").to_numpy(), np.arange(data.num_rows))

    for row in episodes:
        start, end = row["dataset_from_index"], row["dataset_to_index"]
        assert end - start == row["length"]
        rows = data.slice(start, row["length"])
        assert (rows.column("episode_index").to_numpy() == row["episode_index"]).all()
        frame_index = rows.column("frame_index").to_numpy()
        np.testing.assert_array_equal(frame_index, np.arange(row["length"]))
        np.testing.assert_allclose(rows.column("timestamp").to_numpy(), frame_index / info["fps"], atol=1e-6)
        assert {task_of[t] for t in rows.column("task_index").to_numpy()} == set(row["tasks"])
        state = np.stack(rows.column("observation.state").to_numpy(zero_copy_only=False))
        assert np.isfinite(state).all() and set(np.unique(state[:, 102:])) <= {0.0, 1.0}
        data_path = root / info["data_path"].format(chunk_index=row["data/chunk_index"], file_index=row["data/file_index"])
        assert row["episode_index"] in pq.read_table(data_path).column("episode_index").to_numpy()
        for feature, spec in features.items():
            expected = (3, 1, 1) if spec["dtype"] == "video" else tuple(spec["shape"])
            assert row[f"stats/{feature}/count"] == [row["length"]]
            assert all(np.shape(row[f"stats/{feature}/{k}"]) == expected for k in ("min", "max", "mean", "std")), feature

    for slot_rows in _by_video_file(episodes):
        first = slot_rows[0]
        path = root / info["video_path"].format(video_key=VIDEO, chunk_index=first[f"videos/{VIDEO}/chunk_index"],
                                                file_index=first[f"videos/{VIDEO}/file_index"])
        times = _frame_times(path)
        assert len(times) == sum(r["length"] for r in slot_rows)
        np.testing.assert_allclose(times, np.arange(len(times)) / info["fps"], atol=1e-4)  # LeRobot's tolerance_s
        for row in slot_rows:
            span = row[f"videos/{VIDEO}/to_timestamp"] - row[f"videos/{VIDEO}/from_timestamp"]
            assert abs(span - row["length"] / info["fps"]) < 1e-9


def _by_video_file(episodes: list[dict]) -> list[list[dict]]:
    groups: dict[tuple[int, int], list[dict]] = {}
    for row in episodes:
        groups.setdefault((row[f"videos/{VIDEO}/chunk_index"], row[f"videos/{VIDEO}/file_index"]), []).append(row)
    return list(groups.values())


def test_the_stats_file_has_every_feature_and_counts_every_frame(incremental_build):
    root = incremental_build["root"]
    info = json.loads((root / "meta/info.json").read_text())
    stats = json.loads((root / "meta/stats.json").read_text())
    assert set(info["features"]) <= set(stats)
    assert all(stats[feature]["count"] == [info["total_frames"]] for feature in info["features"])
    assert stats["index"]["max"] == [info["total_frames"] - 1]
