"""A picture of the camera-motion stage a person can check at a glance (RGB, drawn with OpenCV).

Three panels: the camera's yaw/pitch/roll over time (frames whose motion could not be measured are marked
red on the time axis); the camera path seen from above (x right, z forward, in `translation_scale` units);
each hand's wrist in the first frame's image before (thin) and after (thick) removing the camera's
rotation, left hand orange, right hand blue.
"""

from __future__ import annotations

import cv2
import numpy as np

from vitra_core.camera.compensate import pixels_in_anchor
from vitra_core.camera.result import CameraMotion
from vitra_core.camera.rotation import euler_zyx_deg
from vitra_core.hands.preview import HAND_COLOURS_RGB
from vitra_core.hands.result import HandPoses

PANEL_W, PANEL_H, MARGIN = 360, 270, 28
_ANGLE_COLOURS = ((220, 50, 50), (40, 160, 40), (50, 90, 220))  # yaw, pitch, roll
_TEXT, _GRID, _INVALID = (30, 30, 30), (215, 215, 215), (230, 0, 0)


def _text(panel: np.ndarray, text: str, xy: tuple[int, int], colour=_TEXT, scale: float = 0.42) -> None:
    cv2.putText(panel, text, xy, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def _to_px(values: np.ndarray, low: float, high: float, start: int, length: int, flip: bool) -> np.ndarray:
    span = max(high - low, 1e-9)
    scaled = (values - low) / span * length
    return start + (length - scaled if flip else scaled)


def _polyline(panel: np.ndarray, xs: np.ndarray, ys: np.ndarray, colour, thickness: int) -> None:
    finite = np.isfinite(xs) & np.isfinite(ys)
    points = np.column_stack([xs[finite], ys[finite]]).round().astype(np.int32)
    if len(points) > 1:
        cv2.polylines(panel, [points], False, colour, thickness, cv2.LINE_AA)


def _angles_panel(motion: CameraMotion) -> np.ndarray:
    panel = np.full((PANEL_H, PANEL_W, 3), 255, np.uint8)
    angles = euler_zyx_deg(motion.R_world_cam)
    limit = max(1.0, float(np.abs(angles).max()) * 1.1)
    frames = np.arange(motion.num_frames)
    xs = _to_px(frames, 0, max(motion.num_frames - 1, 1), MARGIN, PANEL_W - 2 * MARGIN, flip=False)
    zero = int(_to_px(np.array(0.0), -limit, limit, MARGIN, PANEL_H - 2 * MARGIN, flip=True))
    cv2.line(panel, (MARGIN, zero), (PANEL_W - MARGIN, zero), _GRID, 1)
    for series, colour in zip(angles.T, _ANGLE_COLOURS):
        _polyline(panel, xs, _to_px(series, -limit, limit, MARGIN, PANEL_H - 2 * MARGIN, flip=True), colour, 2)
    for x in xs[~motion.valid]:
        cv2.line(panel, (int(x), PANEL_H - MARGIN), (int(x), PANEL_H - MARGIN + 5), _INVALID, 1)
    _text(panel, "camera rotation (deg) vs frame", (MARGIN, 18))
    _text(panel, f"+{limit:.1f}", (2, MARGIN + 4))
    _text(panel, f"-{limit:.1f}", (2, PANEL_H - MARGIN))
    for k, (name, colour) in enumerate(zip(("yaw", "pitch", "roll"), _ANGLE_COLOURS)):
        _text(panel, name, (PANEL_W - MARGIN - 50, MARGIN + 16 + 14 * k), colour)
    _text(panel, f"fov {motion.fov_deg:.0f} deg ({motion.fov_source})", (MARGIN, PANEL_H - 8))
    return panel


def _path_panel(motion: CameraMotion) -> np.ndarray:
    panel = np.full((PANEL_H, PANEL_W, 3), 255, np.uint8)
    x, z = motion.t_world_cam[:, 0], motion.t_world_cam[:, 2]
    half = max(float(np.abs(np.concatenate([x, z])).max()) * 1.1, 1e-3)
    size = min(PANEL_W, PANEL_H) - 2 * MARGIN
    left, top = (PANEL_W - size) // 2, MARGIN
    cv2.rectangle(panel, (left, top), (left + size, top + size), _GRID, 1)
    xs, ys = _to_px(x, -half, half, left, size, flip=False), _to_px(z, -half, half, top, size, flip=True)
    _polyline(panel, xs, ys, (60, 60, 60), 2)
    cv2.circle(panel, (int(xs[0]), int(ys[0])), 4, (40, 160, 40), -1, cv2.LINE_AA)
    cv2.circle(panel, (int(xs[-1]), int(ys[-1])), 4, _INVALID, -1, cv2.LINE_AA)
    _text(panel, f"camera path from above (x, z; {motion.translation_scale} scale)", (8, 18))
    _text(panel, f"half width {half:.3g}; start green, end red", (8, PANEL_H - 8))
    return panel


def _wrist_panel(motion: CameraMotion, poses: HandPoses | None) -> np.ndarray:
    panel = np.full((PANEL_H, PANEL_W, 3), 255, np.uint8)
    scale = min((PANEL_W - 2 * MARGIN) / motion.width, (PANEL_H - 2 * MARGIN) / motion.height)
    left = (PANEL_W - motion.width * scale) / 2
    cv2.rectangle(panel, (int(left), MARGIN), (int(left + motion.width * scale), int(MARGIN + motion.height * scale)),
                  _GRID, 1)
    _text(panel, "wrist in frame 0: raw thin, compensated thick", (6, 18))
    if poses is None or not poses.mask.any():
        _text(panel, "no hands", (PANEL_W // 2 - 30, PANEL_H // 2))
        return panel
    for hand, colour in enumerate(HAND_COLOURS_RGB):
        raw = np.where(poses.mask[:, hand, None], poses.joints_2d[:, hand, 0], np.nan)
        for points, thickness in ((raw, 1), (pixels_in_anchor(raw, motion), 2)):
            _polyline(panel, left + points[:, 0] * scale, MARGIN + points[:, 1] * scale, colour, thickness)
    return panel


def render_camera_preview(motion: CameraMotion, poses: HandPoses | None = None) -> np.ndarray:
    """RGB image [270, 1080, 3] of the three panels side by side (see the module docstring)."""
    if poses is not None and poses.num_frames != motion.num_frames:
        raise ValueError(f"hand poses have {poses.num_frames} frames, the camera motion {motion.num_frames}")
    return np.hstack([_angles_panel(motion), _path_panel(motion), _wrist_panel(motion, poses)])
