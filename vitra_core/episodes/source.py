"""The episodes stage's input contract: one record per video (clip, hand poses, episode spans).

The upstream stages (segments, captions) are adapted to this; nothing here reads their files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    an unchanged video can be skipped without reading its episodes."""

    video_id: str
    clip_path: Path
    poses: HandPoses
    spans: list[EpisodeSpan] = field(default_factory=list)
    fingerprint: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "clip_path", Path(self.clip_path))
        if not self.video_id or "/" in self.video_id:
            raise EpisodeSourceError(self.video_id, "video_id must be a non-empty name without '/'")
        outside = [s for s in self.spans if s.end_frame > self.poses.num_frames]
        if outside:
            raise EpisodeSourceError(
                self.video_id,
                f"{len(outside)} span(s) end past the clip's {self.poses.num_frames} frames "
                f"(first: {outside[0].start_frame}..{outside[0].end_frame})",
            )
