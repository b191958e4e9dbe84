"""Camera-space 3D joints from 2D landmarks, MediaPipe's metric world landmarks and the intrinsics.

One camera cannot tell a small near hand from a large far one, so absolute depth comes from a
hand-size prior: each frame's world landmarks are scaled to the prior palm length, placed in the
camera by PnP against the 2D landmarks, and each joint is then put on the camera ray through its 2D
landmark at the depth the placed shape gives it. The result reprojects onto the 2D landmarks
exactly and keeps MediaPipe's relative depths; depth error scales one-to-one with the prior's error.
"""

from __future__ import annotations

import cv2
import numpy as np

from vitra_core.hands.skeleton import MIDDLE_MCP, WRIST


def scale_to_palm_length(world_m: np.ndarray, palm_length_m: float) -> np.ndarray:
    """[N, 21, 3] world landmarks rescaled so wrist to middle knuckle measures `palm_length_m`."""
    palm = np.linalg.norm(world_m[:, MIDDLE_MCP] - world_m[:, WRIST], axis=-1)
    return world_m * (palm_length_m / palm)[:, None, None]


def rigid_fit(shape_m: np.ndarray, image_px: np.ndarray, camera_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pose (rotation [N, 3, 3], translation [N, 3]) placing each [21, 3] shape on its [21, 2] landmarks.

    SQPnP finds the global optimum without an initial guess; Levenberg-Marquardt then minimises the
    reprojection error in pixels. A frame PnP cannot solve gets NaN.
    """
    rotations = np.full((len(shape_m), 3, 3), np.nan)
    translations = np.full((len(shape_m), 3), np.nan)
    for n, (shape, points) in enumerate(zip(shape_m, image_px)):
        shape, points = np.ascontiguousarray(shape), np.ascontiguousarray(points)
        ok, rvec, tvec = cv2.solvePnP(shape, points, camera_matrix, None, flags=cv2.SOLVEPNP_SQPNP)
        if not ok:
            continue
        rvec, tvec = cv2.solvePnPRefineLM(shape, points, camera_matrix, None, rvec, tvec)
        rotations[n] = cv2.Rodrigues(rvec)[0]
        translations[n] = tvec.ravel()
    return rotations, translations


def backproject(image_px: np.ndarray, depth_m: np.ndarray, camera_matrix: np.ndarray) -> np.ndarray:
    """[..., 2] pixels at [...] depths (camera z, metres) -> [..., 3] camera-space points."""
    fx, fy, cx, cy = camera_matrix[0, 0], camera_matrix[1, 1], camera_matrix[0, 2], camera_matrix[1, 2]
    x = (image_px[..., 0] - cx) / fx * depth_m
    y = (image_px[..., 1] - cy) / fy * depth_m
    return np.stack([x, y, depth_m], axis=-1)


def lift_to_camera(
    image_px: np.ndarray, world_m: np.ndarray, camera_matrix: np.ndarray, palm_length_m: float
) -> np.ndarray:
    """[N, 21, 3] camera-space joints (metres; x right, y down, z forward) of N detected hands.

    image_px [N, 21, 2] are the landmarks in pixels of the image `camera_matrix` [3, 3] describes;
    world_m [N, 21, 3] are MediaPipe's world landmarks of the same hands.
    """
    shape_m = scale_to_palm_length(world_m, palm_length_m)
    rotations, translations = rigid_fit(shape_m, image_px, camera_matrix)
    depth_m = np.einsum("nij,nkj->nki", rotations, shape_m)[..., 2] + translations[:, None, 2]
    return backproject(image_px, depth_m, camera_matrix)
