"""Synthetic HandPoses for unit tests of the segmentation and captions: a wrist path, a finger flexion and a
wrist rotation per frame, turned into joints by the project's own forward kinematics on a simple skeleton."""

from __future__ import annotations

import numpy as np

from vitra_core.hands import HandPoseSettings, HandPoses
from vitra_core.hands.kinematics import forward_kinematics
from vitra_core.hands.skeleton import STATE_SIZE
from vitra_core.video.intrinsics import Intrinsics

WIDTH, HEIGHT, FOCAL = 640, 480, 554.0


def simple_rest_pose() -> np.ndarray:
    """[21, 3] a flat hand along +x: palm points, then straight fingers continuing each wrist-to-base line."""
    rest = np.zeros((21, 3))
    bases = {1: (0.02, 0.03), 5: (0.09, 0.02), 9: (0.095, 0.0), 13: (0.09, -0.02), 17: (0.08, -0.04)}
    for base, (x, y) in bases.items():
        rest[base] = (x, y, 0.0)
        direction = rest[base] / np.linalg.norm(rest[base])
        for k, length in enumerate((0.035, 0.025, 0.02), start=1):
            rest[base + k] = rest[base + k - 1] + length * direction
    return rest


def intrinsics() -> Intrinsics:
    return Intrinsics(fx=FOCAL, fy=FOCAL, cx=WIDTH / 2, cy=HEIGHT / 2, width=WIDTH, height=HEIGHT, source="default_fov")


def hand_state(wrist_m: np.ndarray, flexion_rad: np.ndarray, wrist_euler: np.ndarray | None = None) -> np.ndarray:
    """[T, 51] states: wrist translation [T, 3], every finger joint bent by flexion_rad [T] about its z axis."""
    num_frames = len(wrist_m)
    state = np.zeros((num_frames, STATE_SIZE))
    state[:, :3] = wrist_m
    if wrist_euler is not None:
        state[:, 3:6] = wrist_euler
    angles = np.zeros((num_frames, 15, 3))
    angles[:, :12, 2] = flexion_rad[:, None]  # index, middle, pinky, ring (MANO order); thumb stays straight
    state[:, 6:] = angles.reshape(num_frames, 45)
    return state


def make_poses(hands: dict[int, np.ndarray], fps: float = 25.0, mask: dict[int, np.ndarray] | None = None,
               track_id: dict[int, np.ndarray] | None = None) -> HandPoses:
    """HandPoses with the given [T, 51] states per slot (0 left, 1 right); other slots empty."""
    num_frames = len(next(iter(hands.values())))
    rest = simple_rest_pose()
    joints_cam = np.full((num_frames, 2, 21, 3), np.nan)
    state = np.full((num_frames, 2, STATE_SIZE), np.nan)
    present = np.zeros((num_frames, 2), bool)
    tracks = np.full((num_frames, 2), -1)
    for hand, hand_state_ in hands.items():
        present[:, hand] = True if mask is None or hand not in mask else mask[hand]
        tracks[:, hand] = np.where(present[:, hand], hand if track_id is None or hand not in track_id else track_id[hand], -1)
        state[present[:, hand], hand] = hand_state_[present[:, hand]]
        joints_cam[present[:, hand], hand] = forward_kinematics(hand_state_[present[:, hand]], rest)
    joints_2d = FOCAL * joints_cam[..., :2] / joints_cam[..., 2:3] + np.array([WIDTH / 2, HEIGHT / 2])
    rest_pose = np.stack([rest, rest])
    return HandPoses(
        joints_2d=joints_2d, joints_cam=joints_cam, state=state, mask=present, interpolated=np.zeros_like(present),
        confidence=np.where(present, 0.9, np.nan), world_m=np.full_like(joints_cam, np.nan), track_id=tracks,
        num_detected=present.sum(axis=1), rest_pose_m=rest_pose, timestamps_s=np.arange(num_frames) / fps, fps=fps,
        intrinsics=intrinsics(), mirrored=False, settings=HandPoseSettings(),
    )


def bell_path(start_m, end_m, num_frames: int) -> np.ndarray:
    """[N, 3] a straight move from start to end with a smooth (minimum-jerk) speed profile: zero speed at both ends."""
    s = np.linspace(0, 1, num_frames)
    progress = 10 * s**3 - 15 * s**4 + 6 * s**5
    return np.asarray(start_m, float) + progress[:, None] * (np.asarray(end_m, float) - np.asarray(start_m, float))


def chain(*parts: np.ndarray) -> np.ndarray:
    """Concatenate path pieces, each starting where the previous one ended (drops the repeated frame)."""
    out = [parts[0]]
    for part in parts[1:]:
        out.append(part[1:])
    return np.concatenate(out)
