"""LeRobot dataset format v2.1, as this dataset writes it: paths, features, info.json, per-episode parquet.

One parquet file and one mp4 per episode (`data_path`, `video_path` below), grouped in chunks of
`chunks_size` episode indices; meta/ holds info.json, episodes.jsonl, tasks.jsonl, episodes_stats.jsonl
(the spec's files) plus our own vitra_*.json(l) and stats.json (see docs/episodes.md).
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from vitra_core.episodes.state_layout import STATE_DIM, STATE_NAMES

CODEBASE_VERSION = "v2.1"
DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
META_DIR = "meta"
INFO_FILE = "meta/info.json"
EPISODES_FILE = "meta/episodes.jsonl"
TASKS_FILE = "meta/tasks.jsonl"
EPISODES_STATS_FILE = "meta/episodes_stats.jsonl"
STATS_FILE = "meta/stats.json"  # merged stats (LeRobot v2.0's file; v2.1 readers recompute it)
STATE_KEY = "observation.state"
FOV_KEY = "observation.fov"
INDEX_KEYS = ("timestamp", "frame_index", "episode_index", "index", "task_index")


class DatasetSettings(BaseModel):
    """Fixed when a dataset is created (stored in meta/vitra_dataset.json); every video must match."""

    model_config = ConfigDict(extra="forbid")

    fps: float | None = Field(None, gt=0, description="None: the first video's clip fps")
    image_size_px: int = Field(224, ge=16, description="episode videos are square: long side scaled to this, padded")
    camera_key: str = "main"
    crf: int = Field(23, ge=0, le=51)
    chunks_size: int = Field(1000, ge=1)
    robot_type: str = "human_hands"

    @property
    def image_key(self) -> str:
        return f"observation.images.{self.camera_key}"


def episode_chunk(episode_index: int, chunks_size: int) -> int:
    return episode_index // chunks_size


def data_file(episode_index: int, chunks_size: int) -> str:
    return DATA_PATH.format(episode_chunk=episode_chunk(episode_index, chunks_size), episode_index=episode_index)


def video_file(episode_index: int, settings: DatasetSettings) -> str:
    return VIDEO_PATH.format(
        episode_chunk=episode_chunk(episode_index, settings.chunks_size), video_key=settings.image_key,
        episode_index=episode_index,
    )


def fps_value(fps: float) -> int | float:
    """info.json's fps: an int when whole (as LeRobot writes it)."""
    return int(round(fps)) if abs(fps - round(fps)) < 1e-6 else float(fps)


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
        FOV_KEY: {"dtype": "float32", "shape": [2], "names": ["fov_x_deg", "fov_y_deg"]},
        "timestamp": {"dtype": "float32", **scalar},
        "frame_index": {"dtype": "int64", **scalar},
        "episode_index": {"dtype": "int64", **scalar},
        "index": {"dtype": "int64", **scalar},
        "task_index": {"dtype": "int64", **scalar},
    }


def info_json(settings: DatasetSettings, fps: float, episode_lengths: dict[int, int], total_tasks: int) -> dict:
    """meta/info.json for the episodes present (indices may have gaps, see docs/episodes.md)."""
    indices = sorted(episode_lengths)
    chunks = {episode_chunk(i, settings.chunks_size) for i in indices}
    return {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": settings.robot_type,
        "total_episodes": len(indices),
        "total_frames": int(sum(episode_lengths.values())),
        "total_tasks": total_tasks,
        "total_videos": len(indices),
        "total_chunks": len(chunks),
        "chunks_size": settings.chunks_size,
        "fps": fps_value(fps),
        "splits": {"train": f"0:{indices[-1] + 1 if indices else 0}"},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH,
        "features": features(settings, fps),
    }


PARQUET_SCHEMA = pa.schema([
    pa.field(STATE_KEY, pa.list_(pa.float32(), STATE_DIM)),
    pa.field(FOV_KEY, pa.list_(pa.float32(), 2)),
    pa.field("timestamp", pa.float32()),
    pa.field("frame_index", pa.int64()),
    pa.field("episode_index", pa.int64()),
    pa.field("index", pa.int64()),
    pa.field("task_index", pa.int64()),
])


def episode_table_bytes(
    state: np.ndarray, fov_deg: tuple[float, float], fps: float, episode_index: int, index_from: int, task_index: int
) -> bytes:
    """One episode's parquet file: [T, 104] float32 states and the per-frame index columns."""
    length = len(state)
    frame_index = np.arange(length, dtype=np.int64)
    fov = np.tile(np.asarray(fov_deg, dtype=np.float32), (length, 1))
    table = pa.table({
        STATE_KEY: pa.FixedSizeListArray.from_arrays(pa.array(state.astype(np.float32).ravel()), STATE_DIM),
        FOV_KEY: pa.FixedSizeListArray.from_arrays(pa.array(fov.ravel()), 2),
        "timestamp": pa.array((frame_index / fps).astype(np.float32)),
        "frame_index": pa.array(frame_index),
        "episode_index": pa.array(np.full(length, episode_index, dtype=np.int64)),
        "index": pa.array(index_from + frame_index),
        "task_index": pa.array(np.full(length, task_index, dtype=np.int64)),
    }, schema=PARQUET_SCHEMA)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue()


def read_episode_table(path) -> dict[str, np.ndarray]:
    """An episode parquet as arrays: state [T, 104] float32, fov [T, 2], and the index columns [T]."""
    table = pq.read_table(path)
    length = table.num_rows
    out = {
        STATE_KEY: table.column(STATE_KEY).combine_chunks().flatten().to_numpy().reshape(length, STATE_DIM),
        FOV_KEY: table.column(FOV_KEY).combine_chunks().flatten().to_numpy().reshape(length, 2),
    }
    for key in INDEX_KEYS:
        out[key] = table.column(key).to_numpy()
    return out
