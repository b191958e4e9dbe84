"""The hand-pose stage end to end: decode once, detect, assign slots, lift to 3D, fill, smooth, fit.

Per slot (left, right): lift detected frames to camera space, bridge short gaps within one track,
smooth the camera-space joints, estimate the hand's skeleton and conform every present frame to it,
then express each as the 51-number state and rebuild the joints from it, so that
`joints_cam == forward_kinematics(state, rest_pose_m)` holds exactly.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from vitra_core.hands.detect import HandDetection, HandDetector
from vitra_core.hands.kinematics import (
    conform_to_skeleton, estimate_rest_pose, forward_kinematics, inverse_kinematics,
)
from vitra_core.hands.lift3d import inside_frame, lift_to_camera
from vitra_core.hands.result import HandPoses
from vitra_core.hands.settings import HandPoseSettings
from vitra_core.hands.skeleton import NUM_HANDS, NUM_LANDMARKS, RIGHT, STATE_SIZE
from vitra_core.hands.temporal import bridge_gaps, interpolate_gaps, smooth_tracks
from vitra_core.hands.tile_fallback import TileFallback, persistent_hands
from vitra_core.hands.tracking import assign_slots
from vitra_core.video.frames import Frame, iter_frames
from vitra_core.video.intrinsics import DEFAULT_FOV_DEG, Intrinsics
from vitra_core.video.sidecar import sidecar_intrinsics

logger = logging.getLogger(__name__)


def detect_hands(
    frames: Iterable[Frame], settings: HandPoseSettings, mirrored: bool
) -> tuple[list[list[HandDetection]], np.ndarray, tuple[int, int]]:
    """All MediaPipe work of the stage over `frames` (in order): detections per frame, timestamps [T]
    and the frame size (width, height).

    The tracking detector's hands, plus those the tile fallback finds while it has fewer than two and that
    persist into a neighbouring frame.
    """
    tracked, extra, timestamps, size = [], [], [], (0, 0)
    with HandDetector(settings, mirrored) as detector, TileFallback(settings, mirrored) as fallback:
        for frame in frames:
            tracked.append(detector.detect(frame.rgb))
            extra.append(fallback.detect(frame.rgb, tracked[-1]))
            timestamps.append(frame.timestamp_s)
            size = (frame.rgb.shape[1], frame.rgb.shape[0])
    tracked, extra = persistent_hands(tracked, extra, settings.max_link_distance_hands, settings.fallback_min_run_frames,
                                      settings.tracked_min_run_frames, settings.max_gap_frames)
    detections = [hands + more for hands, more in zip(tracked, extra)]
    return detections, np.asarray(timestamps, dtype=np.float64), size


def _gather(
    detections: Sequence[Sequence[HandDetection]], detection_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slot arrays image_px [T, 2, 21, 2], world_m [T, 2, 21, 3], right_prob [T, 2]; NaN where empty."""
    num_frames = len(detections)
    image_px = np.full((num_frames, NUM_HANDS, NUM_LANDMARKS, 2), np.nan)
    world_m = np.full((num_frames, NUM_HANDS, NUM_LANDMARKS, 3), np.nan)
    right_prob = np.full((num_frames, NUM_HANDS), np.nan)
    for t, hand in zip(*np.nonzero(detection_index >= 0)):
        found = detections[t][detection_index[t, hand]]
        image_px[t, hand], world_m[t, hand], right_prob[t, hand] = found.image_px, found.world_m, found.right_prob
    return image_px, world_m, right_prob


def _slot_poses(
    image_px: np.ndarray, world_m: np.ndarray, side_prob: np.ndarray, track_id: np.ndarray,
    camera: Intrinsics, is_right: bool, settings: HandPoseSettings,
) -> dict[str, np.ndarray]:
    """One slot's HandPoses fields from its detections (time first; see HandPoses for shapes).

    Each track's hand size comes from its detections with every landmark inside the frame
    (`hand_size_margin_frac`): an edge-cut hand's palm is where MediaPipe's world landmarks shrink.
    """
    detected = track_id >= 0
    joints_cam = np.full(world_m.shape, np.nan)
    if detected.any():
        confident = inside_frame(image_px[detected], camera.width, camera.height, settings.hand_size_margin_frac)
        joints_cam[detected] = lift_to_camera(image_px[detected], world_m[detected], camera.matrix(),
                                              settings.palm_length_m, track_id[detected], confident)
    detected &= np.isfinite(joints_cam).all(axis=(1, 2))
    track = bridge_gaps(np.where(detected, track_id, -1), settings.max_gap_frames)
    mask = track >= 0
    interpolated = mask & ~detected
    joints_2d = interpolate_gaps(image_px, detected, interpolated)
    joints_cam = interpolate_gaps(joints_cam, detected, interpolated)
    joints_cam = smooth_tracks(joints_cam, track, settings.smoothing_window_frames, settings.smoothing_polyorder)
    confidence = interpolate_gaps(side_prob, detected, interpolated) * np.where(interpolated, 0.5, 1.0)
    state = np.full(mask.shape + (STATE_SIZE,), np.nan)
    rest_pose = np.full((NUM_LANDMARKS, 3), np.nan)
    if detected.any():
        rest_pose = estimate_rest_pose(joints_cam[detected], is_right)
        state[mask] = inverse_kinematics(conform_to_skeleton(joints_cam[mask], rest_pose), rest_pose)
        joints_cam[mask] = forward_kinematics(state[mask], rest_pose)
    absent = ~mask
    joints_2d[absent], joints_cam[absent], confidence[absent] = np.nan, np.nan, np.nan
    world_m = np.where(detected[:, None, None], world_m, np.nan)
    return dict(joints_2d=joints_2d, joints_cam=joints_cam, state=state, mask=mask, interpolated=interpolated,
                confidence=confidence, world_m=world_m, track_id=track, rest_pose_m=rest_pose)


def _mean_fps(timestamps_s: np.ndarray) -> float:
    """Frames per second from the exact frame times (0 for a single image)."""
    span = timestamps_s[-1] - timestamps_s[0] if len(timestamps_s) > 1 else 0.0
    return (len(timestamps_s) - 1) / span if span > 0 else 0.0


def _camera(video_path: Path, intrinsics: Intrinsics | None, width: int, height: int) -> Intrinsics:
    """The given intrinsics at the decoded size, else the sidecar's, else the default field of view."""
    if intrinsics is None:
        return sidecar_intrinsics(video_path, width, height, DEFAULT_FOV_DEG)
    return intrinsics.scaled_to(width, height)


def extract_hand_poses(
    video_path: Path | str,
    intrinsics: Intrinsics | None = None,
    mirrored: bool = False,
    settings: HandPoseSettings | None = None,
) -> HandPoses:
    """Hand poses of every frame of a video (see HandPoses for the contract).

    `mirrored=True` declares selfie-style (horizontally flipped) footage, whose MediaPipe handedness
    labels are kept; otherwise they are swapped. A still image is a one-frame input. A clip without
    hands gives a valid all-empty result and a logged warning. Raises InvalidVideoError for an
    unusable file.
    """
    video_path = Path(video_path)
    settings = settings or HandPoseSettings()
    detections, timestamps_s, (width, height) = detect_hands(iter_frames(video_path), settings, mirrored)
    camera = _camera(video_path, intrinsics, width, height)
    slots = assign_slots(detections, settings)
    image_px, world_m, right_prob = _gather(detections, slots.detection_index)
    side_prob = np.stack([1 - right_prob[:, 0], right_prob[:, 1]], axis=1)
    poses = _lift_slots(image_px, world_m, side_prob, slots.track_id, slots.num_detected, timestamps_s, camera,
                        mirrored, settings)
    if not poses.mask.any():
        logger.warning("%s: no hands detected in %d frames", video_path.name, len(timestamps_s))
    return poses


def _lift_slots(image_px: np.ndarray, world_m: np.ndarray, side_prob: np.ndarray, track_id: np.ndarray,
                num_detected: np.ndarray, timestamps_s: np.ndarray, camera: Intrinsics, mirrored: bool,
                settings: HandPoseSettings) -> HandPoses:
    """HandPoses from both slots' detections (slot arrays time first, NaN / -1 where nothing was detected)."""
    hands = [_slot_poses(image_px[:, hand], world_m[:, hand], side_prob[:, hand], track_id[:, hand], camera,
                         hand == RIGHT, settings) for hand in range(NUM_HANDS)]
    stacked = {name: np.stack([hand[name] for hand in hands], axis=0 if name == "rest_pose_m" else 1)
               for name in hands[0]}
    return HandPoses(**stacked, num_detected=num_detected, timestamps_s=timestamps_s, fps=_mean_fps(timestamps_s),
                     intrinsics=camera, mirrored=mirrored, settings=settings)


def relift_hand_poses(poses: HandPoses, intrinsics: Intrinsics) -> HandPoses:
    """The same detections lifted to 3D with other intrinsics (a field of view estimated after detection):
    MediaPipe does not run again. Detected frames keep their landmarks, world landmarks, side
    probability and (gap-bridged) track; gaps, smoothing, skeleton and state are redone."""
    detected = poses.mask & ~poses.interpolated
    return _lift_slots(
        np.where(detected[..., None, None], poses.joints_2d, np.nan), poses.world_m,
        np.where(detected, poses.confidence, np.nan), np.where(detected, poses.track_id, -1), poses.num_detected,
        poses.timestamps_s, intrinsics.scaled_to(poses.intrinsics.width, poses.intrinsics.height), poses.mirrored,
        poses.settings,
    )
