"""Camera-space 3D joints from 2D landmarks, MediaPipe's metric world landmarks and the intrinsics.

One camera cannot tell a small near hand from a large far one, so absolute depth comes from a
hand-size prior. Hand size is a property of the hand, not of the frame: each track's world landmarks
get one scale factor, the prior palm length over the track's median palm on its confident frames, so
a frame where MediaPipe's palm collapses (a grasp, a cut by the frame edge) keeps its small shape and
is not pushed away. The scaled shape is placed in the camera by PnP against the 2D landmarks, and each
joint is then put on the camera ray through its 2D landmark at the depth the placed shape gives it.
The result reprojects onto the 2D landmarks exactly and keeps MediaPipe's relative depths; depth
error scales one-to-one with the prior's error.
"""

from __future__ import annotations

import cv2
import numpy as np

from vitra_core.hands.skeleton import MIDDLE_MCP, WRIST


def palm_length(points: np.ndarray) -> np.ndarray:
    """[...] wrist to middle-knuckle distance of [..., 21, D] landmarks (metres or pixels)."""
    return np.linalg.norm(points[..., MIDDLE_MCP, :] - points[..., WRIST, :], axis=-1)


def scale_to_palm_length(world_m: np.ndarray, palm_length_m: float) -> np.ndarray:
    """[N, 21, 3] world landmarks rescaled so wrist to middle knuckle measures `palm_length_m`."""
    return world_m * (palm_length_m / palm_length(world_m))[:, None, None]


def inside_frame(image_px: np.ndarray, width: int, height: int, margin_frac: float) -> np.ndarray:
    """[N] True where all 21 landmarks of [N, 21, 2] lie `margin_frac` of the short side inside the frame."""
    margin_px = margin_frac * min(width, height)
    low, high = image_px.min(axis=1), image_px.max(axis=1)
    return (low >= margin_px).all(axis=1) & (high <= np.array([width, height]) - margin_px).all(axis=1)


def track_hand_scales(world_m: np.ndarray, track_id: np.ndarray, confident: np.ndarray, palm_length_m: float) -> np.ndarray:
    """[N] factor taking each detection's world landmarks [N, 21, 3] to metres of the real hand, one per track.

    factor = `palm_length_m` / median palm of the track's `confident` detections (all its detections when
    none is), so every frame of one hand gets the same size. MediaPipe's palm shrinks by up to half in a
    grasp or at the frame edge; per-frame normalisation would blow those frames up and push them away.
    """
    palms = palm_length(world_m)
    factors = np.full(len(world_m), np.nan)
    for track in np.unique(track_id):
        members = track_id == track
        trusted = members & confident & np.isfinite(palms)
        pool = palms[trusted] if trusted.any() else palms[members & np.isfinite(palms)]
        if pool.size:
            factors[members] = palm_length_m / np.median(pool)
    return factors


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
    image_px: np.ndarray, world_m: np.ndarray, camera_matrix: np.ndarray, palm_length_m: float,
    track_id: np.ndarray | None = None, confident: np.ndarray | None = None,
) -> np.ndarray:
    """[N, 21, 3] camera-space joints (metres; x right, y down, z forward) of N detected hands.

    image_px [N, 21, 2] are the landmarks in pixels of the image `camera_matrix` [3, 3] describes;
    world_m [N, 21, 3] are MediaPipe's world landmarks of the same hands. Detections sharing a
    `track_id` [N] share one hand size (`track_hand_scales`, from the `confident` [N] ones); without
    track ids every detection is its own hand, scaled to `palm_length_m` on its own.
    """
    track_id = np.arange(len(world_m)) if track_id is None else np.asarray(track_id)
    confident = np.ones(len(world_m), dtype=bool) if confident is None else np.asarray(confident, dtype=bool)
    shape_m = world_m * track_hand_scales(world_m, track_id, confident, palm_length_m)[:, None, None]
    rotations, translations = rigid_fit(shape_m, image_px, camera_matrix)
    depth_m = np.einsum("nij,nkj->nki", rotations, shape_m)[..., 2] + translations[:, None, 2]
    return backproject(image_px, depth_m, camera_matrix)
