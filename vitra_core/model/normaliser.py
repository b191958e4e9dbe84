"""Per-dimension normalisation of hand states, actions and field of view, from the episode dataset.

Hand dims use the present-only stats (`hand_state` in meta/stats.json: an absent hand's zeros would
otherwise drag every mean towards 0); fov uses `observation.fov`. Relative actions (an action of the
chunk minus the current state) are scaled by `delta_rms`, the RMS of that motion over the chunk, measured on
the training episodes: a wrist moves a few cm in 0.5 s against a 15 cm spread of positions, so scaling
motion by the state's std would leave the wrist dims ~10x smaller than the finger dims in the loss.
Angle differences are wrapped to [-pi, pi) (an Euler angle crossing +-pi moves a little, not 2 pi).
A dimension that never varied (or has no samples) gets scale 1: a shift, never a division by zero.
The fov's scale is at least `FOV_MIN_SCALE_DEG`: a corpus filmed through one lens has none, and 1 degree would
put a camera 40 degrees wider (a robot's wrist camera) 40 standard deviations out, an input that swamps the rest.
Stored as the policy folder's normaliser.json (JSON only: nothing to unpickle).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import ClassVar, TypeVar

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from vitra_core.episodes.lerobot_format import ACTION_KEY, FOV_KEY, STATE_KEY
from vitra_core.episodes.meta import HAND_STATS_KEY, DatasetMeta
from vitra_core.episodes.reader import read_episodes_rows
from vitra_core.episodes.state_layout import ACTION_DIM, DEFAULT_CHUNK_SIZE, MASK_SLICE, STATE_NAMES
from vitra_core.episodes.stats import compute_stats, merge_stats, stats_from_json
from vitra_core.errors import FileError
from vitra_core.model.config import ModelFileError
from vitra_core.records import JsonRecord

MIN_SCALE = 1e-6
FOV_MIN_SCALE_DEG = 10.0  # cameras in use span ~40-120 degrees: differences under ~10 are one kind of lens
ANGLE_DIMS = np.array([name.endswith("_rad") for name in STATE_NAMES[:ACTION_DIM]])  # [102] bool
Values = TypeVar("Values")


def wrap_angle(x: Values) -> Values:
    """Angles (numpy or torch) to [-pi, pi)."""
    return (x + math.pi) % (2 * math.pi) - math.pi


class Normaliser(JsonRecord):
    """Means and scales: hand state [102] (also absolute actions), relative motion [102], fov [2] in degrees."""

    SCHEMA_VERSION: ClassVar[int] = 1
    FILE_ERROR: ClassVar[type[FileError]] = ModelFileError

    schema_version: int = 1
    state_mean: list[float]
    state_std: list[float]
    delta_rms: list[float] = Field(default_factory=list, description="empty: the state std (no motion measured)")
    fov_mean_deg: list[float]
    fov_std_deg: list[float]
    source: str = ""

    @field_validator("state_mean", "state_std", "delta_rms")
    @classmethod
    def _hand_width(cls, value: list[float], info: ValidationInfo) -> list[float]:
        if info.field_name == "delta_rms" and not value:
            return value
        if len(value) != ACTION_DIM or not np.isfinite(value).all():
            raise ValueError(f"needs {ACTION_DIM} finite numbers, got {len(value)}")
        return value

    @model_validator(mode="after")
    def _default_motion_scale(self) -> "Normaliser":
        if not self.delta_rms:
            self.delta_rms = list(self.state_std)
        return self

    @field_validator("fov_mean_deg", "fov_std_deg")
    @classmethod
    def _fov_width(cls, value: list[float]) -> list[float]:
        if len(value) != 2 or not np.isfinite(value).all():
            raise ValueError(f"needs 2 finite numbers, got {len(value)}")
        return value

    @classmethod
    def from_dataset(cls, root: Path, episodes: list[int] | None = None,
                     chunk_size: int = DEFAULT_CHUNK_SIZE) -> "Normaliser":
        """Stats of `episodes` (default: all) of the dataset: held-out episodes stay unseen."""
        meta = DatasetMeta.load(root)
        rows = meta.episodes
        selected = sorted(rows) if episodes is None else sorted(episodes)
        hands = merge_stats([stats_from_json({HAND_STATS_KEY: rows[i][HAND_STATS_KEY]})[HAND_STATS_KEY] for i in selected])
        tables = read_episodes_rows(root, meta, selected)
        fov = compute_stats(np.concatenate([table[FOV_KEY] for table in tables]))
        source = f"{root}" if episodes is None else f"{root} episodes {_ranges(selected)}"
        return cls(state_mean=_floats(hands["mean"]), state_std=_safe(hands["std"]),
                   delta_rms=_safe(motion_rms([(table[STATE_KEY], table[ACTION_KEY]) for table in tables], chunk_size)),
                   fov_mean_deg=_floats(fov["mean"]),
                   fov_std_deg=_floats(np.maximum(fov["std"], FOV_MIN_SCALE_DEG)), source=source)


def motion_rms(episodes: list[tuple[np.ndarray, np.ndarray]], chunk_size: int) -> np.ndarray:
    """RMS over episodes, t and k = 1..chunk_size of action[t + k - 1] - state[t] [102] (what the model predicts
    relative to the current state), angles wrapped, counting only hand dims present in both. `episodes`:
    ([T, 104] states, [T, 104] actions) each; for human video an action is the next state, for a robot its
    command, whose lead over the observed pose belongs to the motion scale."""
    total, count = np.zeros(ACTION_DIM), np.zeros(ACTION_DIM)
    for states, actions in episodes:
        hands, present = states[:, :ACTION_DIM].astype(np.float64), np.repeat(states[:, MASK_SLICE] > 0.5, 51, axis=1)
        targets = actions[:, :ACTION_DIM].astype(np.float64)
        targeted = np.repeat(actions[:, MASK_SLICE] > 0.5, 51, axis=1)
        for k in range(1, min(chunk_size, len(states)) + 1):
            delta = targets[k - 1:] - hands[:len(hands) - k + 1]
            delta = np.where(ANGLE_DIMS, wrap_angle(delta), delta)
            both = targeted[k - 1:] & present[:len(hands) - k + 1]
            total += np.where(both, delta**2, 0.0).sum(axis=0)
            count += both.sum(axis=0)
    return np.sqrt(total / np.maximum(count, 1))


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def _safe(scale: np.ndarray) -> list[float]:
    scale = np.asarray(scale, dtype=np.float64).reshape(-1)
    return _floats(np.where(scale > MIN_SCALE, scale, 1.0))


def _ranges(indices: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2,5' (a short provenance string)."""
    parts: list[list[int]] = []
    for value in indices:
        if parts and value == parts[-1][1] + 1:
            parts[-1][1] = value
        else:
            parts.append([value, value])
    return ",".join(f"{a}-{b}" if a != b else f"{a}" for a, b in parts)
