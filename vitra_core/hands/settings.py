"""Settings of the hand-pose stage: one pydantic model, so configs validate before a run starts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class HandPoseSettings(BaseModel):
    """Knobs of `extract_hand_poses`; the defaults are the ones documented in docs/hand_poses.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_complexity: Literal[0, 1] = Field(
        1, description="MediaPipe landmark model; 1 (full) reproduces the tfjs reference, 0 (lite) is ~30% faster"
    )
    min_detection_confidence: float = Field(
        0.3, ge=0, le=1,
        description="palm detector threshold; in tracking mode the palm detector runs only while fewer than two "
                    "hands are tracked, so this is the threshold for (re)acquiring a hand",
    )
    min_tracking_confidence: float = Field(0.5, ge=0, le=1, description="below it MediaPipe re-runs detection")
    max_link_distance_hands: float = Field(
        1.0, gt=0, description="largest centroid jump, in hand sizes, that still continues a hand's track"
    )
    duplicate_iou: float = Field(
        0.5, gt=0, le=1, description="two detections of one frame whose landmark boxes overlap this much are one hand"
    )
    ambiguous_handedness: float = Field(
        0.5, ge=0, le=1,
        description="a track whose left/right certainty |2 p_right - 1| is below this may take the other slot",
    )
    fallback_every_frames: int = Field(
        8, ge=0,
        description="while fewer than two hands are tracked, look for more on zoomed tiles of the frame's lower "
                    "part every this many frames (every frame while it keeps finding some); 0 disables",
    )
    fallback_below_hand_frac: float = Field(
        0.25, gt=0, le=1,
        description="the fallback stays off while a tracked hand spans this fraction of the frame's short side "
                    "(the hands are at a scale the tracker finds)",
    )
    fallback_detection_confidence: float = Field(
        0.3, ge=0, le=1, description="palm detector threshold on the fallback tiles"
    )
    fallback_tile_min_px: int = Field(
        384, ge=64, description="fallback tiles smaller than this on their long side are upscaled to it"
    )
    reacquire_frames: int = Field(
        10, ge=0,
        description="after the tracker loses an established hand, look for it around its last position on each "
                    "of this many frames (static MediaPipe at the fallback threshold on a zoomed square); 0 disables",
    )
    reacquire_after_frames: int = Field(
        10, ge=1, description="only a hand seen this many frames in a row is looked for once lost"
    )
    reacquire_roi_hands: float = Field(
        3.0, gt=1, description="side of the square searched for a lost hand, in its last size"
    )
    tracked_min_run_frames: int = Field(
        2, ge=1, description="a tracked hand is kept only when hands continue it over this many consecutive frames"
    )
    fallback_min_run_frames: int = Field(
        5, ge=1,
        description="a hand only the fallback sees (never chained to a tracked hand) is kept only when it "
                    "persists over this many consecutive frames",
    )
    max_gap_frames: int = Field(5, ge=0, description="longest run of missed frames filled by interpolation")
    smoothing_window_frames: int = Field(
        7, ge=1, description="centred Savitzky-Golay window on camera-space joints (odd; 1 disables)"
    )
    smoothing_polyorder: int = Field(2, ge=0, description="polynomial order of the smoothing filter")
    palm_length_m: float = Field(
        0.095, gt=0.03, lt=0.2,
        description="hand-size prior: wrist to middle-finger knuckle; sets absolute depth (one size per track)",
    )
    hand_size_margin_frac: float = Field(
        0.02, ge=0, lt=0.5,
        description="a track's hand size is measured on its detections with every landmark at least this "
                    "fraction of the frame's short side inside the frame (all of them if there are none)",
    )

    @model_validator(mode="after")
    def _odd_window_above_order(self) -> "HandPoseSettings":
        if self.smoothing_window_frames % 2 == 0:
            raise ValueError("smoothing_window_frames must be odd")
        if self.smoothing_window_frames > 1 and self.smoothing_polyorder >= self.smoothing_window_frames:
            raise ValueError("smoothing_polyorder must be smaller than smoothing_window_frames")
        return self
