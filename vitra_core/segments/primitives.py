"""Motion primitives of one segment, from kinematics alone (no pixels): what the hand did in it.

Start and end values are means over the first / last `edge_fraction` of the segment's present frames,
so one noisy frame does not decide a label. Directions: `up` is `settings.up_direction_cam` when gravity
is known; by default (None) it is image-up, judged from the hand's motion in the image (its normalised
image coordinate y/z) scaled to metres at the hand's median depth, so a change of the size-prior depth
along the line of sight never reads as up or down. `forward` is the optical axis (+z) with its up
component removed, so push/pull mean "away from / toward the camera, horizontally" either way.
A segment can carry several primitives; one with none of them is labelled `still` if its wrist is as
slow as a hold's, else `move`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitra_core.segments.hand_shape import mean_wrist_rotation, rotation_angle_rad
from vitra_core.segments.settings import SegmentSettings

PRIMITIVES = ("reach", "grasp", "release", "lift", "lower", "push", "pull", "rotate", "hold", "still", "move")


@dataclass(frozen=True)
class SegmentKinematics:
    """One segment of one hand, N frames.

    position_m [N, 3]: smoothed wrist position (camera frame), gaps filled; speed_mps [N] its speed;
    present [N]: hand present (mask); flexion_rad [N]: mean finger flexion (NaN where absent);
    state [N, 51]: the hand's state (NaN where absent).
    """

    position_m: np.ndarray
    speed_mps: np.ndarray
    present: np.ndarray
    flexion_rad: np.ndarray
    state: np.ndarray


def _edges(num_present: int, fraction: float) -> int:
    return max(1, int(round(fraction * num_present)))


def directions(up_direction_cam: tuple[float, float, float] | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(up, forward): unit vectors in camera space (None: image-up, camera -y); forward is None when up is
    (nearly) the optical axis."""
    up = np.asarray((0.0, -1.0, 0.0) if up_direction_cam is None else up_direction_cam, dtype=np.float64)
    up = up / np.linalg.norm(up)
    forward = np.array([0.0, 0.0, 1.0]) - up[2] * up
    norm = np.linalg.norm(forward)
    return up, (forward / norm if norm > 1e-6 else None)


def image_rise_m(position_m: np.ndarray, first: np.ndarray, last: np.ndarray, present: np.ndarray) -> float:
    """Upward motion in the image from the `first` to the `last` frames, in metres at the hand's median depth
    over the `present` frames: -(change of y/z) x depth. position_m [N, 3] camera frame, z > 0.

    The camera-space y of a point is its image coordinate times its depth, so with the full 3D change a
    depth change of a hand below the image centre (from the hand-size prior: tens of cm when the hand turns
    or curls) would read as a lower or a lift although the hand did not move in the image."""
    y_over_z = position_m[:, 1] / position_m[:, 2]
    depth_m = float(np.median(position_m[present, 2]))
    return -float(y_over_z[last].mean() - y_over_z[first].mean()) * depth_m


def label_primitives(kin: SegmentKinematics, settings: SegmentSettings) -> list[str]:
    """The primitives of a segment, in PRIMITIVES order (see docs/segments_and_captions.md for each rule)."""
    present = np.flatnonzero(kin.present & np.isfinite(kin.flexion_rad))
    if len(present) < 2:
        return ["move"]  # unreachable for kept segments (visible_fraction >= setting); kept for direct callers
    k = _edges(len(present), settings.edge_fraction)
    first, last = present[:k], present[-k:]
    net = kin.position_m[last].mean(axis=0) - kin.position_m[first].mean(axis=0)
    path = float(np.linalg.norm(np.diff(kin.position_m, axis=0), axis=1).sum())
    flex_start, flex_end = float(kin.flexion_rad[first].mean()), float(kin.flexion_rad[last].mean())
    flex_change = flex_end - flex_start
    up, forward = directions(settings.up_direction_cam)
    found: set[str] = set()

    if flex_change >= settings.flexion_change_rad:
        found.add("grasp")
    if flex_change <= -settings.flexion_change_rad:
        found.add("release")

    distance = float(np.linalg.norm(net))
    end_part = kin.speed_mps[-_edges(len(kin.speed_mps), settings.edge_fraction):]
    peak = float(kin.speed_mps.max())
    decelerates = peak > 0 and float(end_part.mean()) <= settings.reach_end_speed_ratio * peak
    opening_or_open = flex_end <= settings.open_max_flexion_rad or "release" in found
    if (distance >= settings.reach_min_m and path > 0 and distance / path >= settings.reach_min_straightness
            and decelerates and opening_or_open):
        found.add("reach")

    if settings.up_direction_cam is None:
        rise = image_rise_m(kin.position_m, first, last, present)
    else:
        rise = float(net @ up)
    if rise >= settings.move_min_m:
        found.add("lift")
    elif rise <= -settings.move_min_m:
        found.add("lower")
    if forward is not None:
        advance = float(net @ forward)
        if advance >= settings.move_min_m:
            found.add("push")
        elif advance <= -settings.move_min_m:
            found.add("pull")

    turn = rotation_angle_rad(mean_wrist_rotation(kin.state[first]), mean_wrist_rotation(kin.state[last]))
    if turn >= settings.rotate_min_rad:
        found.add("rotate")

    slow = float(kin.speed_mps[kin.present].mean()) <= settings.hold_max_speed_mps
    closed = float(np.nanmean(kin.flexion_rad)) >= settings.closed_min_flexion_rad
    if not found:  # no change of shape, place or orientation: hold, stay still, or an unpatterned move
        found.add(("hold" if closed else "still") if slow else "move")
    return [name for name in PRIMITIVES if name in found]
