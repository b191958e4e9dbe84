"""The human V-L-A episode dataset: LeRobot v3.0 format, built incrementally per video, plus a torch loader.

Input contract in source.py; format and decisions in docs/episodes.md.
"""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "augment": ["AugmentSettings"],
    "export_vitra": ["export_vitra_npy"],
    "lerobot_format": ["CODEBASE_VERSION", "DatasetSettings"],
    "loader": ["EpisodeWindowDataset"],
    "meta": ["DatasetMeta", "EpisodeDatasetError", "read_stats"],
    "mirror": ["mirror_dataset_state", "mirror_hand_state", "mirror_rest_pose"],
    "shards": ["append_shards"],
    "source": ["EpisodeSourceError", "EpisodeSpan", "RecordedEpisode", "RecordedEpisodesInput", "VideoEpisodesInput"],
    "state_layout": ["ACTION_DIM", "STATE_DIM", "STATE_NAMES", "pack_state", "unpack_state"],
    "transaction": ["recover"],
    "writer": ["VideoUpdate", "add_recorded", "add_video", "build_dataset", "remove_video"],
})
