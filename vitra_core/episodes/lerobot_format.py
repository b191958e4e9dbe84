"""LeRobot dataset format v3.0, as this dataset writes it: paths, features, info.json and the parquet tables.

v3.0 packs many episodes into one file. Here the unit of a file is one *source* (a video, or one batch
of recorded robot episodes): every source owns one numbered file slot n, and slot n names three files,
chunk n // chunks_size, file n % chunks_size, of the templates below: its frames' rows (data), its
episodes' frames back to back (videos) and its episodes' rows (meta/episodes). So adding a source adds
three files, and replacing one rewrites its own three. LeRobot reads the files of each kind in path
order and needs `episode_index` and `index` dense in that order (docs/episodes.md).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from vitra_core.episodes.anchor import POSE_NAMES, POSE_WIDTH
from vitra_core.episodes.state_layout import STATE_DIM, STATE_NAMES
from vitra_core.episodes.stats import FeatureStats

CODEBASE_VERSION = "v3.0"
CHUNK_FILE = "chunk-{chunk_index:03d}/file-{file_index:03d}"
DATA_PATH = "data/" + CHUNK_FILE + ".parquet"
VIDEO_PATH = "videos/{video_key}/" + CHUNK_FILE + ".mp4"
EPISODES_META_PATH = "meta/episodes/" + CHUNK_FILE + ".parquet"
INFO_FILE = "meta/info.json"
TASKS_FILE = "meta/tasks.parquet"
STATS_FILE = "meta/stats.json"
STATE_KEY = "observation.state"
ACTION_KEY = "action"
FOV_KEY = "observation.fov"
CAMERA_KEY = "camera.world_from_camera"  # not observation.*: LeRobot does not make it a policy input
INDEX_KEYS = ("timestamp", "frame_index", "episode_index", "index", "task_index")
# LeRobot's defaults; we never pack more than one source into a file, so these are only upper bounds.
DATA_FILES_SIZE_MB = 100
VIDEO_FILES_SIZE_MB = 200


class DatasetSettings(BaseModel):
    """Fixed when a dataset is created (stored in meta/vitra_dataset.json); every video must match."""

    model_config = ConfigDict(extra="forbid")

    fps: float | None = Field(None, gt=0, description="None: the first video's clip fps")
    image_size_px: int = Field(224, ge=16, description="episode videos are square: long side scaled to this, padded")
    camera_key: str = "main"
    crf: int = Field(23, ge=0, le=51)
    chunks_size: int = Field(1000, ge=1, le=1000, description="files per chunk folder (3-digit file names)")
    robot_type: str = "human_hands"

    @property
    def image_key(self) -> str:
        return f"observation.images.{self.camera_key}"


def slot_location(slot: int, chunks_size: int) -> dict[str, int]:
    """The chunk and file index of file slot `slot`."""
    return {"chunk_index": slot // chunks_size, "file_index": slot % chunks_size}


def data_file(slot: int, chunks_size: int) -> str:
    return DATA_PATH.format(**slot_location(slot, chunks_size))


def episodes_meta_file(slot: int, chunks_size: int) -> str:
    return EPISODES_META_PATH.format(**slot_location(slot, chunks_size))


def video_file(slot: int, settings: DatasetSettings) -> str:
    return VIDEO_PATH.format(video_key=settings.image_key, **slot_location(slot, settings.chunks_size))


def fps_value(fps: float) -> int:
    """info.json's fps: LeRobot v3.0 declares it an int, so the dataset's fps must be whole."""
    if abs(fps - round(fps)) > 1e-6:
        raise ValueError(f"LeRobot v3.0 needs a whole fps, got {fps:g}")
    return int(round(fps))


def features(settings: DatasetSettings, fps: float) -> dict:
    """info.json's `features`: dtype, shape and names of every per-frame field."""
    size = settings.image_size_px
    scalar = {"shape": [1], "names": None}
    return {
        settings.image_key: {
            "dtype": "video", "shape": [size, size, 3], "names": ["height", "width", "channels"],
            "info": {
                "video.fps": fps_value(fps), "video.height": size, "video.width": size, "video.channels": 3,
                "video.codec": "h264", "video.pix_fmt": "yuv420p", "video.is_depth_map": False, "has_audio": False,
            },
        },
        STATE_KEY: {"dtype": "float32", "shape": [STATE_DIM], "names": list(STATE_NAMES)},
        ACTION_KEY: {"dtype": "float32", "shape": [STATE_DIM], "names": list(STATE_NAMES)},
        FOV_KEY: {"dtype": "float32", "shape": [2], "names": ["fov_x_deg", "fov_y_deg"]},
        CAMERA_KEY: {"dtype": "float32", "shape": [POSE_WIDTH], "names": list(POSE_NAMES)},
        "timestamp": {"dtype": "float32", **scalar},
        "frame_index": {"dtype": "int64", **scalar},
        "episode_index": {"dtype": "int64", **scalar},
        "index": {"dtype": "int64", **scalar},
        "task_index": {"dtype": "int64", **scalar},
    }


def info_json(settings: DatasetSettings, fps: float, total_episodes: int, total_frames: int, total_tasks: int) -> dict:
    """meta/info.json."""
    return {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": settings.robot_type,
        "total_episodes": total_episodes,
        "total_frames": total_frames,
        "total_tasks": total_tasks,
        "chunks_size": settings.chunks_size,
        "data_files_size_in_mb": DATA_FILES_SIZE_MB,
        "video_files_size_in_mb": VIDEO_FILES_SIZE_MB,
        "fps": fps_value(fps),
        "splits": {"train": f"0:{total_episodes}"},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH,
        "features": features(settings, fps),
    }


@dataclass(frozen=True)
class EpisodeRows:
    """One episode's per-frame columns: state and action [T, 104] float32 (each in its frame's camera), fov
    (x, y) degrees, camera poses [T, 12] (anchor.py)."""

    state: np.ndarray
    action: np.ndarray
    fov_deg: tuple[float, float]
    task_index: int
    camera: np.ndarray

    @property
    def length(self) -> int:
        return len(self.state)


DATA_SCHEMA = pa.schema([
    pa.field(STATE_KEY, pa.list_(pa.float32(), STATE_DIM)),
    pa.field(ACTION_KEY, pa.list_(pa.float32(), STATE_DIM)),
    pa.field(FOV_KEY, pa.list_(pa.float32(), 2)),
    pa.field(CAMERA_KEY, pa.list_(pa.float32(), POSE_WIDTH)),
    pa.field("timestamp", pa.float32()),
    pa.field("frame_index", pa.int64()),
    pa.field("episode_index", pa.int64()),
    pa.field("index", pa.int64()),
    pa.field("task_index", pa.int64()),
])


def _fixed_list(values: np.ndarray, width: int) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(np.asarray(values, dtype=np.float32).ravel()), width)


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue()


def data_table_bytes(episodes: list[EpisodeRows], fps: float, first_episode: int, first_index: int) -> bytes:
    """One source's data file: its episodes' frames in order, numbered from (first_episode, first_index)."""
    lengths = [e.length for e in episodes]
    frame_index = np.concatenate([np.arange(n, dtype=np.int64) for n in lengths])
    table = pa.table({
        STATE_KEY: _fixed_list(np.concatenate([e.state for e in episodes]), STATE_DIM),
        ACTION_KEY: _fixed_list(np.concatenate([e.action for e in episodes]), STATE_DIM),
        FOV_KEY: _fixed_list(np.concatenate([np.tile(e.fov_deg, (e.length, 1)) for e in episodes]), 2),
        CAMERA_KEY: _fixed_list(np.concatenate([e.camera for e in episodes]), POSE_WIDTH),
        "timestamp": pa.array((frame_index / fps).astype(np.float32)),
        "frame_index": pa.array(frame_index),
        "episode_index": pa.array(np.repeat(np.arange(len(episodes), dtype=np.int64) + first_episode, lengths)),
        "index": pa.array(first_index + np.arange(sum(lengths), dtype=np.int64)),
        "task_index": pa.array(np.repeat(np.array([e.task_index for e in episodes], dtype=np.int64), lengths)),
    }, schema=DATA_SCHEMA)
    return _parquet_bytes(table)


def renumber_data_table(path, first_episode: int, first_index: int, task_map: np.ndarray | None = None) -> bytes:
    """A data file's bytes with its episode_index / index columns shifted to start at the given numbers (and
    task_index k replaced by task_map[k] when given)."""
    table = pq.read_table(path)
    if task_map is not None:
        tasks = np.asarray(task_map, dtype=np.int64)[table.column("task_index").to_numpy()]
        table = table.set_column(table.schema.get_field_index("task_index"), "task_index", pa.array(tasks))
    episode = table.column("episode_index").to_numpy()
    index = table.column("index").to_numpy()
    table = table.set_column(table.schema.get_field_index("episode_index"), "episode_index",
                             pa.array(episode - episode.min() + first_episode))
    table = table.set_column(table.schema.get_field_index("index"), "index", pa.array(index - index.min() + first_index))
    return _parquet_bytes(table)


def read_data_table(path) -> dict[str, np.ndarray]:
    """A data file as arrays: state and action [N, 104] float32, fov [N, 2], camera poses [N, 12], and the
    index columns [N]."""
    table = pq.read_table(path)
    rows = table.num_rows
    out = {key: table.column(key).combine_chunks().flatten().to_numpy().reshape(rows, width)
           for key, width in ((STATE_KEY, STATE_DIM), (ACTION_KEY, STATE_DIM), (FOV_KEY, 2), (CAMERA_KEY, POSE_WIDTH))}
    for key in INDEX_KEYS:
        out[key] = table.column(key).to_numpy()
    return out


def _stat_columns(stats: dict[str, FeatureStats]) -> dict[str, list]:
    return {f"stats/{feature}/{name}": np.asarray(value, dtype=np.float64).tolist()
            for feature, values in sorted(stats.items()) for name, value in sorted(values.items())}


def episodes_meta_bytes(rows: list[dict], stats: list[dict[str, FeatureStats]]) -> bytes:
    """One source's meta/episodes file: a row per episode (LeRobot's columns) with flattened stats/... columns.

    `rows` hold episode_index, tasks, length, data/..., dataset_from_index, dataset_to_index, videos/...,
    meta/episodes/... as LeRobot names them."""
    records = [{**row, **_stat_columns(episode_stats)} for row, episode_stats in zip(rows, stats)]
    return _parquet_bytes(pa.Table.from_pylist(records))


def read_episodes_meta(path) -> list[dict]:
    """A meta/episodes file's rows as dicts (stats/... columns as nested lists)."""
    return pq.read_table(path).to_pylist()


def tasks_bytes(tasks: list[str]) -> bytes:
    """meta/tasks.parquet: LeRobot reads it with pandas, the task string as the index."""
    import pandas as pd

    frame = pd.DataFrame({"task_index": np.arange(len(tasks), dtype=np.int64)}, index=pd.Index(tasks, name="task"))
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def read_tasks(path) -> list[str]:
    """Task strings in task_index order."""
    table = pq.read_table(path)
    order = np.argsort(table.column("task_index").to_numpy())
    names = table.column("task").to_pylist()
    return [names[k] for k in order]
