"""Where the hands (and forearms) are in a frame, so background tracking ignores what moves on its own.

Per present hand: the convex hull of its 21 landmarks grown about its centre by `dilation`, plus a band
from the wrist away from the fingers (the forearm), `forearm_palm_lengths` palm lengths long and 1.5 palm
widths wide. Landmark indices are MediaPipe's (0 wrist, 5 index knuckle, 9 middle knuckle, 17 pinky knuckle).
"""

from __future__ import annotations

import cv2
import numpy as np

WRIST, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 0, 5, 9, 17


def _forearm_polygon(joints: np.ndarray, palm_lengths: float) -> np.ndarray | None:
    """[4, 2] a band from the wrist along the middle-knuckle-to-wrist direction, or None if degenerate."""
    axis = joints[WRIST] - joints[MIDDLE_MCP]
    length = float(np.linalg.norm(axis))
    if length < 1.0 or palm_lengths <= 0:
        return None
    along = axis / length
    across = np.array([-along[1], along[0]])
    half_width = 0.75 * max(float(np.linalg.norm(joints[INDEX_MCP] - joints[PINKY_MCP])), 0.5 * length)
    end = joints[WRIST] + axis * palm_lengths
    return np.array([joints[WRIST] + across * half_width, end + across * half_width,
                     end - across * half_width, joints[WRIST] - across * half_width])


def hands_mask(joints_2d: np.ndarray, present: np.ndarray, width: int, height: int,
               dilation: float, forearm_palm_lengths: float) -> np.ndarray:
    """[H, W] bool, True on the hands and forearms of one frame.

    joints_2d [N, 21, 2] pixels; present [N] bool (hands with any NaN landmark are skipped).
    """
    mask = np.zeros((height, width), dtype=np.uint8)
    for joints, here in zip(joints_2d, present):
        if not here or not np.isfinite(joints).all():
            continue
        hull = cv2.convexHull(joints.astype(np.float32)).reshape(-1, 2)
        centre = hull.mean(axis=0)
        grown = centre + (hull - centre) * (1.0 + dilation)
        cv2.fillConvexPoly(mask, np.round(grown).astype(np.int32), 1)
        forearm = _forearm_polygon(joints, forearm_palm_lengths)
        if forearm is not None:
            cv2.fillConvexPoly(mask, np.round(forearm).astype(np.int32), 1)
    return mask.astype(bool)
