"""Rotation helpers: bearings from pixels, best rotation between bearing sets, pixel residuals, angles.

Convention: a relative rotation R maps camera-a coordinates into camera b (x_b = R x_a + t).
"""

from __future__ import annotations

import numpy as np


def inverse_camera(camera_matrix: np.ndarray) -> np.ndarray:
    """K^-1 of a zero-skew pinhole K in closed form (np.linalg.inv costs more than the rest of a fit)."""
    (fx, _, cx), (_, fy, cy), _ = camera_matrix
    return np.array([[1 / fx, 0, -cx / fx], [0, 1 / fy, -cy / fy], [0, 0, 1.0]])


def bearings(points_px: np.ndarray, camera_matrix: np.ndarray) -> np.ndarray:
    """[N, 3] unit rays of pixel positions [N, 2] through the camera K."""
    homogeneous = np.column_stack([points_px, np.ones(len(points_px))])
    rays = homogeneous @ inverse_camera(camera_matrix).T
    return rays / np.linalg.norm(rays, axis=1, keepdims=True)


def nearest_rotation(matrix: np.ndarray) -> np.ndarray:
    """The rotation closest (Frobenius) to a 3x3 matrix, after removing its scale and sign."""
    if np.linalg.det(matrix) < 0:
        matrix = -matrix
    u, _, vt = np.linalg.svd(matrix)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def fit_rotation(rays_a: np.ndarray, rays_b: np.ndarray) -> np.ndarray:
    """R minimising sum |rays_b - R rays_a|^2 (Kabsch / Wahba) for [N, 3] unit rays."""
    return nearest_rotation(rays_b.T @ rays_a)


def rotation_residual_px(rotation: np.ndarray, points_a: np.ndarray, points_b: np.ndarray,
                         camera_matrix: np.ndarray) -> np.ndarray:
    """[N] pixel distance between points_b and points_a carried by the pure rotation (H = K R K^-1)."""
    homography = camera_matrix @ rotation @ inverse_camera(camera_matrix)
    mapped = np.column_stack([points_a, np.ones(len(points_a))]) @ homography.T
    with np.errstate(divide="ignore", invalid="ignore"):
        mapped = mapped[:, :2] / mapped[:, 2:3]
    residual = np.linalg.norm(mapped - points_b, axis=1)
    return np.where(np.isfinite(residual), residual, np.inf)


def rotation_angle_deg(rotation: np.ndarray) -> np.ndarray:
    """Angle of rotation(s) [..., 3, 3] in degrees."""
    cos = (np.trace(rotation, axis1=-2, axis2=-1) - 1.0) / 2.0
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def relative_to(rotation: np.ndarray, translation: np.ndarray, r_anchor: np.ndarray,
                t_anchor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera poses [N, 3, 3], [N, 3] (camera to world) re-expressed in the camera of an anchor pose, one
    anchor ([3, 3], [3]) or one per row ([N, 3, 3], [N, 3]): R_a^T R and R_a^T (t - t_a)."""
    r_anchor = np.broadcast_to(r_anchor, rotation.shape)
    return (np.einsum("nji,njk->nik", r_anchor, rotation),
            np.einsum("nji,nj->ni", r_anchor, translation - t_anchor))


def optical_axis_turn_deg(rotation: np.ndarray) -> float:
    """How far a rotation swings the optical axis (pan/tilt; roll about the axis does not count)."""
    return float(np.degrees(np.arccos(np.clip(rotation[2, 2], -1.0, 1.0))))


def euler_zyx_deg(rotations: np.ndarray) -> np.ndarray:
    """[T, 3] yaw (about y), pitch (about x), roll (about z) in degrees of camera-to-world rotations [T, 3, 3].

    Decomposes R = Ry(yaw) Rx(pitch) Rz(roll) in the camera convention (x right, y down, z forward):
    positive yaw turns the view right, positive pitch tilts it up, positive roll turns the camera's x axis
    towards its y axis (clockwise as the camera sees it).
    """
    r = rotations
    pitch = np.arcsin(np.clip(-r[:, 1, 2], -1.0, 1.0))
    yaw = np.arctan2(r[:, 0, 2], r[:, 2, 2])
    roll = np.arctan2(r[:, 1, 0], r[:, 1, 1])
    return np.degrees(np.column_stack([yaw, pitch, roll]))


def rotation_from_euler_deg(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """R = Ry(yaw) Rx(pitch) Rz(roll), the inverse of `euler_zyx_deg`."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return ry @ rx @ rz
