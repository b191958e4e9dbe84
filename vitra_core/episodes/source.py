"""The episodes stage's input contract: one record per video (clip, hand poses, episode spans).

The upstream stages (segments, captions) are adapted to this; nothing here reads their files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from vitra_core.episodes.anchor import POSE_WIDTH
from vitra_core.episodes.state_layout import STATE_DIM
from vitra_core.errors import VitraError
from vitra_core.hands.result import HandPoses


class EpisodeSourceError(VitraError):
    """A video's episode input is inconsistent (spans outside the clip, poses not matching the clip...)."""

    def __init__(self, video_id: str, reason: str):
        self.video_id = video_id
        self.reason = reason
        super().__init__(f"video {video_id}: {reason}")


class EpisodeSpan(BaseModel):
    """One episode: frames [start_frame, end_frame) of the normalised clip, led by one hand."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_frame: int = Field(ge=0)
    end_frame: int = Field(gt=0, description="exclusive")
    instruction: str = Field(min_length=1)
    rephrasings: list[str] = Field(default_factory=list)
    primitives: list[str] = Field(default_factory=list)
    hand: Literal["left", "right"]
    quality: dict[str, float] = Field(default_factory=dict, description="quality.EpisodeQuality figures, if measured")

    @model_validator(mode="after")
    def _non_empty(self) -> "EpisodeSpan":
        if self.end_frame <= self.start_frame:
            raise ValueError(f"empty span: end_frame {self.end_frame} <= start_frame {self.start_frame}")
        return self

    @property
    def num_frames(self) -> int:
        return self.end_frame - self.start_frame


@dataclass(frozen=True)
class VideoEpisodesInput:
    """Everything the dataset needs from one video; `clip_path` is the normalised (constant-fps) clip
    whose frames `poses` describes frame for frame. Each span becomes one episode, in list order.
    `fingerprint` identifies the upstream outputs it was made from; it is stored with the video so
    an unchanged video can be skipped without reading its episodes. `camera_poses` [T, 12]: each frame's
    camera in the video's world (anchor.py); None for a camera that did not move. `excluded`: spans kept
    out of the dataset (below the quality floor), recorded with the source. `input_signature`: the same
    inputs' sizes, mtimes and inodes (stage.py); while it is unchanged, a sync skips hashing them."""

    video_id: str
    clip_path: Path
    poses: HandPoses
    spans: list[EpisodeSpan] = field(default_factory=list)
    fingerprint: str | None = None
    camera_poses: np.ndarray | None = None
    excluded: list[dict] = field(default_factory=list)
    input_signature: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "clip_path", Path(self.clip_path))
        if not self.video_id or "/" in self.video_id:
            raise EpisodeSourceError(self.video_id, "video_id must be a non-empty name without '/'")
        poses = self.camera_poses
        if poses is not None and (poses.shape != (self.poses.num_frames, POSE_WIDTH) or not np.isfinite(poses).all()):
            raise EpisodeSourceError(self.video_id, f"camera poses {poses.shape} are not finite "
                                                    f"[{self.poses.num_frames}, {POSE_WIDTH}]")
        outside = [s for s in self.spans if s.end_frame > self.poses.num_frames]
        if outside:
            raise EpisodeSourceError(
                self.video_id,
                f"{len(outside)} span(s) end past the clip's {self.poses.num_frames} frames "
                f"(first: {outside[0].start_frame}..{outside[0].end_frame})",
            )


# Keys of an episode's row (its source's record, meta/vitra/sources/) that the writer fills;
# `RecordedEpisode.extra` may not use them.
RESERVED_EPISODE_KEYS = frozenset({
    "episode_index", "length", "task_index", "video_id", "span_index", "start_frame", "end_frame", "hand",
    "instruction", "rephrasings", "primitives", "index_from", "offset", "hand_state", "quality",
})


@dataclass(frozen=True, eq=False)
class RecordedEpisode:
    """One episode already in memory (a robot or simulator recording) instead of a span of a clip.

    frames [T, H, W, 3] uint8 RGB, letterboxed like clip frames; state [T, 104] float32 packed as in
    state_layout (no NaN); `hand` the hand that acts; `extra` JSON-able facts (seed, success...) kept
    in the episode's row. `action` [T, 104]: what was commanded at each frame (a robot's targets, in
    the state layout); None records the next observed state, as for human video.
    """

    frames: np.ndarray
    state: np.ndarray
    instruction: str
    hand: Literal["left", "right"]
    extra: Mapping[str, Any] = field(default_factory=dict)
    action: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return len(self.state)


@dataclass(frozen=True)
class RecordedEpisodesInput:
    """Recorded episodes written, replaced and removed together under `source_id`, as one video's are.

    fps: frames per second of every episode; fov_deg: (x, y) field of view of the frames' camera.
    """

    source_id: str
    fps: float
    fov_deg: tuple[float, float]
    episodes: list[RecordedEpisode] = field(default_factory=list)
    fingerprint: str | None = None

    def __post_init__(self) -> None:
        if not self.source_id or "/" in self.source_id:
            raise EpisodeSourceError(self.source_id, "source_id must be a non-empty name without '/'")
        for k, episode in enumerate(self.episodes):
            problem = _recorded_episode_problem(episode)
            if problem:
                raise EpisodeSourceError(self.source_id, f"episode {k}: {problem}")


def _recorded_episode_problem(episode: RecordedEpisode) -> str | None:
    frames, state = episode.frames, episode.state
    if state.ndim != 2 or state.shape[1] != STATE_DIM or len(state) == 0:
        return f"state {state.shape} is not [T >= 1, {STATE_DIM}]"
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
        return f"frames {frames.shape} {frames.dtype} are not [T, H, W, 3] uint8"
    if len(frames) != len(state):
        return f"{len(frames)} frames but {len(state)} states"
    if not np.all(np.isfinite(state)):
        return "state is not finite"
    action = episode.action
    if action is not None and (action.shape != state.shape or not np.all(np.isfinite(action))):
        return f"action {action.shape} is not a finite array of the state's shape {state.shape}"
    if not episode.instruction:
        return "instruction is empty"
    reserved = sorted(RESERVED_EPISODE_KEYS & set(episode.extra))
    return f"extra uses the writer's keys {reserved}" if reserved else None
