"""The segments stage's file schema: per video, the atomic actions of each hand, as one JSON file."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vitra_core.errors import FileError
from vitra_core.records import JsonRecord
from vitra_core.segments.primitives import PRIMITIVES
from vitra_core.segments.settings import SegmentSettings

SCHEMA_VERSION = 1
HandName = Literal["left", "right"]
HAND_NAMES: tuple[HandName, HandName] = ("left", "right")  # index = hand slot of HandPoses


class SegmentsFileError(FileError):
    """A stored segments file cannot be read as this schema version."""


class SegmentQuality(BaseModel):
    """Figures a reviewer checks first: how much of the segment shows the hand and how much it moved."""

    model_config = ConfigDict(extra="forbid")

    visible_fraction: float = Field(ge=0, le=1, description="frames with the hand present (mask) / frames")
    path_length_m: float = Field(ge=0, description="length of the smoothed wrist trajectory")
    mean_speed_mps: float = Field(ge=0, description="path_length_m / duration_s")
    duration_s: float = Field(gt=0, description="end_s - start_s")


class Segment(BaseModel):
    """One atomic action of one hand: frames [start_frame, end_frame) of the video."""

    model_config = ConfigDict(extra="forbid")

    hand: HandName
    start_frame: int = Field(ge=0)
    end_frame: int = Field(description="exclusive")
    start_s: float
    end_s: float
    primitives: list[str]
    quality: SegmentQuality

    @field_validator("primitives")
    @classmethod
    def _known_primitives(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PRIMITIVES))
        if unknown:
            raise ValueError(f"unknown primitives {unknown}; known: {list(PRIMITIVES)}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "Segment":
        if self.end_frame <= self.start_frame or self.end_s <= self.start_s:
            raise ValueError(f"empty segment: frames {self.start_frame}..{self.end_frame}, {self.start_s}..{self.end_s} s")
        return self

    @property
    def hand_index(self) -> int:
        return HAND_NAMES.index(self.hand)

    @property
    def num_frames(self) -> int:
        return self.end_frame - self.start_frame

    def overlap_frames(self, start_frame: int, end_frame: int) -> int:
        """Frames this segment shares with [start_frame, end_frame)."""
        return max(0, min(self.end_frame, end_frame) - max(self.start_frame, start_frame))


class VideoSegments(JsonRecord):
    """All segments of one video, sorted by start frame then hand; the settings that made them."""

    model_config = ConfigDict(extra="forbid")

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    FILE_ERROR: ClassVar[type[FileError]] = SegmentsFileError

    schema_version: int = SCHEMA_VERSION
    video_id: str
    fps: float
    num_frames: int
    segments: list[Segment]
    settings: SegmentSettings = Field(default_factory=SegmentSettings)

    def for_hand(self, hand: HandName) -> list[Segment]:
        return [segment for segment in self.segments if segment.hand == hand]
