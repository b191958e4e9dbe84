"""The `segments` stage for one video: read its hand poses, cut atomic actions, write `segments.json`."""

from __future__ import annotations

import numpy as np

from vitra_core.camera.stage import read_camera_motion, read_lifted_poses
from vitra_core.hands.result import HandPoses
from vitra_core.layout import DataLayout
from vitra_core.segments.model import SCHEMA_VERSION, VideoSegments
from vitra_core.segments.segment import segment_hand_poses
from vitra_core.segments.settings import SegmentSettings

ALGORITHM_VERSION = "3"  # bump when segmentation or primitive labelling changes results (3: world-frame wrist speed)
SEGMENTS_STAGE, SEGMENTS_FILE = "segments", "segments.json"
CODE_VERSION = f"segments-v{ALGORITHM_VERSION}-schema{SCHEMA_VERSION}"


def read_segments(layout: DataLayout, video_id: str) -> VideoSegments:
    return VideoSegments.load(layout.stage_dir(SEGMENTS_STAGE, video_id) / SEGMENTS_FILE)


def build_segments(layout: DataLayout, video_id: str, settings: SegmentSettings) -> tuple[VideoSegments, float]:
    """Segment the video's hand poses (camera motion removed) and save them; return the segments and their
    `coverage`."""
    poses = read_lifted_poses(layout, video_id)
    segments = segment_hand_poses(poses, settings, video_id, read_camera_motion(layout, video_id))
    segments.save(layout.stage_dir(SEGMENTS_STAGE, video_id) / SEGMENTS_FILE)
    return segments, coverage(segments, poses)


def coverage(segments: VideoSegments, poses: HandPoses) -> float:
    """Fraction of hand-present frames (either hand) that lie inside a segment of that hand."""
    present = poses.mask
    covered = np.zeros_like(present)
    for segment in segments.segments:
        hand = 0 if segment.hand == "left" else 1
        covered[segment.start_frame:segment.end_frame, hand] = present[segment.start_frame:segment.end_frame, hand]
    return float(covered.sum() / present.sum()) if present.any() else 0.0


def segment_problems(segments: VideoSegments) -> list[str]:
    """Contract violations: a segment outside the clip or the length bounds, or overlapping its hand's previous one."""
    settings, fps = segments.settings, segments.fps
    problems, last_end = [], {"left": 0, "right": 0}
    for s in sorted(segments.segments, key=lambda s: (s.hand, s.start_frame)):
        frames = s.end_frame - s.start_frame
        if not 0 <= s.start_frame < s.end_frame <= segments.num_frames:
            problems.append(f"{s.hand} {s.start_frame}-{s.end_frame}: outside the clip (0-{segments.num_frames})")
        if not settings.min_segment_s * fps - 1 <= frames <= settings.max_segment_s * fps + 1:
            problems.append(f"{s.hand} {s.start_frame}-{s.end_frame}: {frames / fps:.2f} s outside "
                            f"{settings.min_segment_s}-{settings.max_segment_s} s")
        if s.start_frame < last_end[s.hand]:
            problems.append(f"{s.hand} {s.start_frame}-{s.end_frame}: overlaps the previous {s.hand} segment")
        last_end[s.hand] = max(last_end[s.hand], s.end_frame)
    return problems
