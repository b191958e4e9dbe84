"""Settings of the camera-motion stage: one pydantic model; each threshold's physical meaning is in
docs/camera_motion.md."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from vitra_core.video.intrinsics import DEFAULT_FOV_DEG, FOV_RANGE_DEG


class CameraMotionSettings(BaseModel):
    """Knobs of `estimate_camera_motion`; the defaults are the ones documented and measured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_features: int = Field(400, ge=20, description="background corners tracked at once")
    min_feature_distance_px: float = Field(
        12.0, gt=0, description="smallest spacing of seeded corners, so they cover the frame, not one texture"
    )
    reseed_below_frac: float = Field(
        0.6, gt=0, le=1, description="seed new corners when fewer than this share of max_features survive"
    )
    fb_max_error_px: float = Field(
        0.5, gt=0, description="a track whose forward-backward optical-flow round trip misses by more is dropped"
    )
    hand_mask_dilation: float = Field(
        0.3, ge=0, description="each hand's convex hull is grown by this fraction of its size before masking"
    )
    forearm_palm_lengths: float = Field(
        2.5, ge=0, description="the mask also covers the forearm: this many palm lengths beyond the wrist"
    )
    static_median_px: float = Field(
        0.15, ge=0,
        description="median background displacement since the last key frame below which the camera has not "
                    "moved (identity rotation); below LK's sub-pixel noise on compressed video",
    )
    inlier_px: float = Field(1.0, gt=0, description="reprojection / Sampson distance of a model inlier, pixels")
    max_parallax_px: float = Field(
        1.0, gt=0,
        description="a pair is rotation-dominant when the best pure rotation explains the median background "
                    "point to within this (what is left is tracking noise, not parallax from translation)",
    )
    min_inliers: int = Field(15, ge=8, description="fewer inliers than this: the pair is invalid, the pose held")
    min_inlier_ratio: float = Field(0.3, ge=0, le=1, description="lower inlier share: the pair is invalid")
    default_fov_deg: float = Field(DEFAULT_FOV_DEG, ge=FOV_RANGE_DEG[0], le=FOV_RANGE_DEG[1], description="fallback field of view, long side")
    estimate_fov: bool = Field(True, description="estimate the field of view when no sidecar states intrinsics")
    fov_min_deg: float = Field(30.0, gt=1, lt=179, description="lower end of the focal sweep (long-side fov)")
    fov_max_deg: float = Field(130.0, gt=1, lt=179, description="upper end of the focal sweep (long-side fov)")
    fov_pair_gap_frames: int = Field(
        8, ge=1, description="focal pairs span up to this many frames, so each carries more rotation"
    )
    fov_min_pair_rotation_deg: float = Field(
        2.0, gt=0, description="a focal pair must turn the optical axis (pan/tilt, not roll) at least this much"
    )
    fov_max_residual_px: float = Field(
        0.8, gt=0, description="a focal pair must fit a pure rotation this well (RMS px) at its best focal"
    )
    fov_min_pairs: int = Field(3, ge=1, description="fewer informative pairs: the estimate is weak")
    fov_max_spread: float = Field(
        0.1, gt=0, description="pairs must agree: median absolute deviation of their log-focals at most this"
    )
