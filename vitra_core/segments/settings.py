"""Settings of the segments stage: one pydantic model, so a config validates before a run starts.

Every threshold of the cutting and of the motion primitives lives here; docs/segments_and_captions.md
says why each default is what it is.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class SegmentSettings(BaseModel):
    """Knobs of `segment_hand_poses`; units are in the names (s, m, m/s, rad)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- cutting
    speed_smoothing_s: float = Field(
        0.1, ge=0, description="Gaussian sigma applied to the wrist trajectory before taking its speed (0: none)"
    )
    min_prominence_mps: float = Field(
        0.02, ge=0, description="a speed minimum cuts only if the speed rises this much on both sides of it"
    )
    min_segment_s: float = Field(0.5, gt=0, description="shorter fragments are merged into a neighbour or dropped")
    max_segment_s: float = Field(4.0, gt=0, description="longer spans are split at their deepest interior minimum")
    max_gap_s: float = Field(
        0.3, ge=0, description="a hand absent at most this long, with the same track on both sides, stays in one span"
    )
    min_visible_fraction: float = Field(
        0.6, ge=0, le=1, description="segments whose hand is present (mask) on fewer of their frames are dropped"
    )
    min_path_length_m: float = Field(
        0.01, ge=0, description="segments whose smoothed wrist path is shorter are dropped as no motion at all"
    )
    # --- primitives
    edge_fraction: float = Field(
        0.2, gt=0, le=0.5, description="start/end values are means over this fraction of a segment's present frames"
    )
    up_direction_cam: tuple[float, float, float] | None = Field(
        None,
        description="'up' in camera coordinates, gravity's opposite when known; None: image-up, measured in "
                    "the image at the hand's depth (depth changes along the line of sight never count as up)",
    )
    move_min_m: float = Field(
        0.04, gt=0, description="net wrist displacement along up / forward that makes lift, lower, push, pull"
    )
    reach_min_m: float = Field(0.05, gt=0, description="net wrist displacement of a reach")
    reach_min_straightness: float = Field(
        0.6, ge=0, le=1, description="net displacement / path length of a reach (1: a straight line)"
    )
    reach_end_speed_ratio: float = Field(
        0.6, gt=0, le=1, description="a reach decelerates: mean speed of its last part below this x its peak speed"
    )
    open_max_flexion_rad: float = Field(
        0.6, gt=0, description="mean finger flexion at or below which a hand counts as open"
    )
    closed_min_flexion_rad: float = Field(
        0.7, gt=0, description="mean finger flexion at or above which a hand counts as closed (hold)"
    )
    flexion_change_rad: float = Field(
        0.2, gt=0, description="rise (grasp) or fall (release) of mean finger flexion from start to end"
    )
    rotate_min_rad: float = Field(
        math.radians(30), gt=0, description="wrist rotation angle between start and end that makes rotate"
    )
    hold_max_speed_mps: float = Field(0.05, gt=0, description="mean wrist speed below which a closed hand holds")

    @field_validator("up_direction_cam")
    @classmethod
    def _unit_up(cls, value: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
        if value is None:
            return None
        norm = math.sqrt(sum(c * c for c in value))
        if not norm > 0:
            raise ValueError("up_direction_cam must be a non-zero vector")
        return tuple(c / norm for c in value)  # type: ignore[return-value]

    @model_validator(mode="after")
    def _consistent(self) -> "SegmentSettings":
        if self.max_segment_s < 2 * self.min_segment_s:
            raise ValueError("max_segment_s must be at least 2 x min_segment_s, so a long span can always be split")
        if self.closed_min_flexion_rad < self.open_max_flexion_rad:
            raise ValueError("closed_min_flexion_rad must not be below open_max_flexion_rad")
        return self

    def frame_bounds(self, fps: float) -> tuple[int, int]:
        """(min, max) segment length in frames at `fps`: every kept segment lasts min_segment_s..max_segment_s."""
        if not fps > 0:
            raise ValueError(f"cannot segment a clip with fps {fps}")
        min_frames = max(2, math.ceil(self.min_segment_s * fps - 1e-9))
        max_frames = math.floor(self.max_segment_s * fps + 1e-9)
        if max_frames < 2 * min_frames:
            raise ValueError(
                f"at {fps:.3g} fps segments of {min_frames}..{max_frames} frames cannot be split in two: "
                "raise max_segment_s"
            )
        return min_frames, max_frames
