"""Segments stage: each hand's video cut into atomic actions at wrist-speed minima, labelled with motion primitives.

Entry point `segment_hand_poses(poses, settings, video_id) -> VideoSegments`; method and thresholds in
docs/segments_and_captions.md.
"""

from vitra_core.segments.model import (
    HAND_NAMES, SCHEMA_VERSION, Segment, SegmentQuality, SegmentsFileError, VideoSegments,
)
from vitra_core.segments.primitives import PRIMITIVES
from vitra_core.segments.segment import segment_hand_poses
from vitra_core.segments.settings import SegmentSettings

__all__ = [
    "HAND_NAMES", "PRIMITIVES", "SCHEMA_VERSION", "Segment", "SegmentQuality", "SegmentSettings", "SegmentsFileError",
    "VideoSegments", "segment_hand_poses",
]
