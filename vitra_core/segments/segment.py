"""The segments stage's algorithm for one video: per hand, spans of presence -> speed -> cuts -> filter -> labels."""

from __future__ import annotations

import math

import numpy as np

from vitra_core.camera.compensate import points_in_anchor
from vitra_core.camera.result import CameraMotion
from vitra_core.hands.result import HandPoses
from vitra_core.hands.skeleton import NUM_HANDS, WRIST
from vitra_core.segments.hand_shape import finger_flexion_rad
from vitra_core.segments.model import HAND_NAMES, Segment, SegmentQuality, VideoSegments
from vitra_core.segments.primitives import SegmentKinematics, label_primitives
from vitra_core.segments.settings import SegmentSettings
from vitra_core.segments.spans import presence_spans
from vitra_core.segments.speed import path_length_m, wrist_motion
from vitra_core.segments.speed_minima import cut_at_speed_minima


def frame_time_s(poses: HandPoses, frame: int) -> float:
    """Presentation time of frame `frame`; one frame past the last is the last time + 1 / fps."""
    if frame < poses.num_frames:
        return float(poses.timestamps_s[frame])
    return float(poses.timestamps_s[-1]) + (frame - poses.num_frames + 1) / poses.fps


def _hand_segments(poses: HandPoses, wrist_m: np.ndarray, hand: int, settings: SegmentSettings) -> list[Segment]:
    min_frames, max_frames = settings.frame_bounds(poses.fps)
    max_gap_frames = int(math.floor(settings.max_gap_s * poses.fps + 1e-9))
    mask = poses.mask[:, hand]
    segments = []
    for span_start, span_end in presence_spans(mask, poses.track_id[:, hand], max_gap_frames):
        span = slice(span_start, span_end)
        motion = wrist_motion(wrist_m[span, hand], mask[span], poses.timestamps_s[span],
                              settings.speed_smoothing_s)
        flexion = finger_flexion_rad(poses.state[span, hand])
        for start, end in cut_at_speed_minima(motion.speed_mps, min_frames, max_frames, settings.min_prominence_mps):
            piece = slice(start, end)
            start_s, end_s = frame_time_s(poses, span_start + start), frame_time_s(poses, span_start + end)
            path_m = path_length_m(motion.position_m[piece])
            quality = SegmentQuality(
                visible_fraction=float(motion.present[piece].mean()), path_length_m=path_m,
                mean_speed_mps=path_m / (end_s - start_s), duration_s=end_s - start_s,
            )
            if quality.visible_fraction < settings.min_visible_fraction or path_m < settings.min_path_length_m:
                continue
            kinematics = SegmentKinematics(
                position_m=motion.position_m[piece], speed_mps=motion.speed_mps[piece],
                present=motion.present[piece], flexion_rad=flexion[piece], state=poses.state[span, hand][piece],
            )
            segments.append(Segment(
                hand=HAND_NAMES[hand], start_frame=span_start + start, end_frame=span_start + end,
                start_s=start_s, end_s=end_s, primitives=label_primitives(kinematics, settings), quality=quality,
            ))
    return segments


def segment_hand_poses(poses: HandPoses, settings: SegmentSettings | None = None, video_id: str = "",
                       camera: CameraMotion | None = None) -> VideoSegments:
    """Atomic actions of both hands of one video (method: docs/segments_and_captions.md).

    Every segment lasts min_segment_s..max_segment_s, lies inside the clip and overlaps no other
    segment of its hand. A clip without frame rate (a still image) or without hands gives no segments.
    With `camera`, wrist speed is measured in the first frame's camera (the camera's own motion removed),
    so a turning head does not cut or merge actions.
    """
    settings = settings or SegmentSettings()
    segments: list[Segment] = []
    wrist_m = poses.joints_cam[:, :, WRIST]
    if camera is not None:
        wrist_m = points_in_anchor(wrist_m, camera, 0)
    if poses.num_frames >= 2 and poses.fps > 0:
        for hand in range(NUM_HANDS):
            segments += _hand_segments(poses, wrist_m, hand, settings)
    segments.sort(key=lambda s: (s.start_frame, s.hand_index))
    return VideoSegments(video_id=video_id, fps=poses.fps, num_frames=poses.num_frames, segments=segments,
                         settings=settings)
