"""Clips with exact ground-truth camera rotation, made from a real frame: a pinhole camera of known field
of view turns in place in front of the frame (used as a texture at infinity), x_t ~ K R_t^T K^-1 x_world."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import cv2
import numpy as np

from vitra_core.camera.rotation import rotation_from_euler_deg


def smooth_rotation_path(frames: int, yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """[T, 3, 3] camera-to-world rotations: one sine period of yaw, pitch and roll (out of phase)."""
    phase = 2 * math.pi * np.arange(frames) / frames
    return np.stack([rotation_from_euler_deg(yaw_deg * math.sin(p), pitch_deg * math.sin(2 * p) / 2 + pitch_deg * (1 - math.cos(p)) / 2,
                                             roll_deg * math.sin(p + 1.0) - roll_deg * math.sin(1.0)) for p in phase])


def render_rotating_clip(source_rgb: np.ndarray, rotations: np.ndarray, fov_deg: float, size: tuple[int, int],
                         target: Path, fps: int = 30, crf: int = 23) -> np.ndarray:
    """Write an H.264 clip of a camera (`size` = (width, height), `fov_deg` across the long side) turning by
    `rotations`; the source image is seen by a camera of the same focal at the same position. Returns K [3, 3]."""
    width, height = size
    focal = max(width, height) / (2 * math.tan(math.radians(fov_deg) / 2))
    k_out = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1.0]])
    src_h, src_w = source_rgb.shape[:2]
    k_src = np.array([[focal, 0, src_w / 2], [0, focal, src_h / 2], [0, 0, 1.0]])
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
           "-r", str(fps), "-i", "pipe:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
           "-pix_fmt", "yuv420p", str(target)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for rotation in rotations:
        # output pixel -> ray in the turned camera -> world ray -> source pixel
        out_to_src = k_src @ rotation @ np.linalg.inv(k_out)
        frame = cv2.warpPerspective(source_rgb, out_to_src, (width, height),
                                    flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
        proc.stdin.write(np.ascontiguousarray(frame).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed writing {target}")
    return k_out
