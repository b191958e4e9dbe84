"""Segments stage: each hand's video cut into atomic actions at wrist-speed minima, labelled with motion primitives.

Entry point `segment_hand_poses(poses, settings, video_id) -> VideoSegments`; method and thresholds in
docs/segments_and_captions.md.
"""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "model": ["HAND_NAMES", "SCHEMA_VERSION", "Segment", "SegmentQuality", "SegmentsFileError", "VideoSegments"],
    "primitives": ["PRIMITIVES"],
    "segment": ["segment_hand_poses"],
    "settings": ["SegmentSettings"],
})
