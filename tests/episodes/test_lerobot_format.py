"""The dataset against LeRobot's v2.1 format: a schema check always, and LeRobot's own reader when available.

LeRobot's reader runs in a separate interpreter: lerobot (0.3.2, the last v2.1 release that installs
with numpy<2) needs the CUDA build of torch for torchvision, so it does not go into the project venv.
Point VITRA_LEROBOT_PYTHON at a python that has it (see docs/episodes.md) or install it here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vitra_core.episodes import CODEBASE_VERSION, STATE_NAMES
from vitra_core.video.probe import probe_video

REQUIRED_META = ("info.json", "episodes.jsonl", "tasks.jsonl", "episodes_stats.jsonl")
INFO_KEYS = {"codebase_version", "robot_type", "total_episodes", "total_frames", "total_tasks", "total_videos",
             "total_chunks", "chunks_size", "fps", "splits", "data_path", "video_path", "features"}
COLUMN_TYPES = {
    "observation.state": pa.list_(pa.float32(), 104), "observation.fov": pa.list_(pa.float32(), 2),
    "timestamp": pa.float32(), "frame_index": pa.int64(), "episode_index": pa.int64(), "index": pa.int64(),
    "task_index": pa.int64(),
}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _template_regex(template: str) -> re.Pattern:
    pattern = re.escape(template)
    for name, digits in (("episode_chunk", 3), ("episode_index", 6)):
        pattern = pattern.replace(re.escape(f"{{{name}:0{digits}d}}"), rf"(?P<{name}>\d{{{digits}}})")
    return re.compile(pattern.replace(re.escape("{video_key}"), r"(?P<video_key>[^/]+)") + "$")


def test_dataset_matches_the_v21_schema(incremental_build):
    root = incremental_build["root"]
    for name in REQUIRED_META:
        assert (root / "meta" / name).is_file(), name
    info = json.loads((root / "meta/info.json").read_text())
    assert INFO_KEYS <= set(info) and info["codebase_version"] == CODEBASE_VERSION == "v2.1"
    features = info["features"]
    assert features["observation.state"] == {"dtype": "float32", "shape": [104], "names": STATE_NAMES}
    assert features["observation.images.main"]["dtype"] == "video"
    assert features["observation.images.main"]["shape"] == [224, 224, 3]
    assert all({"dtype", "shape", "names"} <= set(spec) for spec in features.values())
    episodes = {row["episode_index"]: row for row in _jsonl(root / "meta/episodes.jsonl")}
    tasks = {row["task_index"]: row["task"] for row in _jsonl(root / "meta/tasks.jsonl")}
    stats = {row["episode_index"]: row["stats"] for row in _jsonl(root / "meta/episodes_stats.jsonl")}
    assert len(episodes) == info["total_episodes"] == len(stats) and len(tasks) == info["total_tasks"]

    data_re, video_re = _template_regex(info["data_path"]), _template_regex(info["video_path"])
    data_files = {int(m["episode_index"]): p for p in (root / "data").rglob("*")
                  if p.is_file() and (m := data_re.match(str(p.relative_to(root))))}
    video_files = {int(m["episode_index"]): p for p in (root / "videos").rglob("*")
                   if p.is_file() and (m := video_re.match(str(p.relative_to(root))))}
    assert sorted(data_files) == sorted(video_files) == sorted(episodes)
    assert len(list((root / "data").rglob("*.*"))) == len(data_files)
    for index, path in data_files.items():
        assert path == root / info["data_path"].format(episode_chunk=index // info["chunks_size"], episode_index=index)

    all_index = []
    for episode_index, row in episodes.items():
        table = pq.read_table(data_files[episode_index])
        assert {name: table.schema.field(name).type for name in table.column_names} == COLUMN_TYPES
        length = row["length"]
        assert table.num_rows == length
        frame_index = table.column("frame_index").to_numpy()
        np.testing.assert_array_equal(frame_index, np.arange(length))
        assert (table.column("episode_index").to_numpy() == episode_index).all()
        np.testing.assert_allclose(table.column("timestamp").to_numpy(), frame_index / info["fps"], atol=1e-6)
        task_index = set(table.column("task_index").to_numpy().tolist())
        assert len(task_index) == 1 and row["tasks"] == [tasks[task_index.pop()]]
        index = table.column("index").to_numpy()
        np.testing.assert_array_equal(index, index[0] + frame_index)
        all_index.append(index)
        state = np.stack(table.column("observation.state").to_numpy(zero_copy_only=False))
        assert np.isfinite(state).all() and set(np.unique(state[:, 102:])) <= {0.0, 1.0}
        probe = probe_video(video_files[episode_index])
        assert (probe.frames, probe.width, probe.height, probe.codec) == (length, 224, 224, "h264")
        assert abs(probe.fps - info["fps"]) < 1e-6
        assert set(stats[episode_index]) == set(features)
        for feature, values in stats[episode_index].items():
            assert np.shape(values["count"]) == (1,) and values["count"][0] == length
            expected = (3, 1, 1) if features[feature]["dtype"] == "video" else tuple(features[feature]["shape"])
            assert all(np.shape(values[k]) == expected for k in ("min", "max", "mean", "std")), feature
    all_index = np.concatenate(all_index)
    assert len(np.unique(all_index)) == len(all_index) == info["total_frames"]


def _lerobot_python() -> str | None:
    if os.environ.get("VITRA_LEROBOT_PYTHON"):
        return os.environ["VITRA_LEROBOT_PYTHON"]
    return sys.executable if importlib.util.find_spec("lerobot") else None


READ_WITH_LEROBOT = """
import json, sys
from lerobot.datasets.lerobot_dataset import LeRobotDataset
ds = LeRobotDataset("local/vitra_episodes", root=sys.argv[1],
                    delta_timestamps={"observation.state": [k / 30 for k in range(1, 17)]})
item = ds[int(sys.argv[2])]
print(json.dumps({"len": len(ds), "episodes": ds.num_episodes, "task": item["task"],
                  "image": list(item["observation.images.main"].shape),
                  "state": item["observation.state"].tolist(), "pad": item["observation.state_is_pad"].tolist(),
                  "episode_index": int(item["episode_index"]), "frame_index": int(item["frame_index"])}))
"""


@pytest.mark.skipif(_lerobot_python() is None, reason="lerobot is not importable (set VITRA_LEROBOT_PYTHON)")
def test_lerobot_reads_the_dataset_and_its_chunks_match_ours(incremental_build):
    from vitra_core.episodes import EpisodeWindowDataset

    root = incremental_build["root"]
    ours = EpisodeWindowDataset(root)
    idx = 30 + 24  # cooking's episode 1 (30 frames), frame 24: 5 next states, then padding
    done = subprocess.run([_lerobot_python(), "-c", READ_WITH_LEROBOT, str(root), str(idx)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    item = json.loads(done.stdout.strip().splitlines()[-1])
    sample = ours[idx]
    assert item["len"] == len(ours) and item["episodes"] == len(ours.episode_indices)
    assert (item["episode_index"], item["frame_index"]) == (sample["episode_index"], sample["frame_index"])
    assert item["task"] == sample["instruction"] and item["image"] == [3, 224, 224]
    assert item["pad"] == sample["action_is_pad"].tolist()
    states = np.array(item["state"])
    np.testing.assert_array_equal(states[~np.array(item["pad"]), :102], sample["actions"][~sample["action_is_pad"]])
