"""The human V-L-A episode dataset: LeRobot v3.0 format, built incrementally per video, plus a torch loader.

Input contract in source.py; format and decisions in docs/episodes.md.
"""

from vitra_core.episodes.augment import AugmentSettings
from vitra_core.episodes.export_vitra import export_vitra_npy
from vitra_core.episodes.lerobot_format import CODEBASE_VERSION, DatasetSettings
from vitra_core.episodes.loader import EpisodeWindowDataset
from vitra_core.episodes.meta import DatasetMeta, EpisodeDatasetError, read_stats
from vitra_core.episodes.mirror import mirror_dataset_state, mirror_hand_state, mirror_rest_pose
from vitra_core.episodes.source import (
    EpisodeSourceError, EpisodeSpan, RecordedEpisode, RecordedEpisodesInput, VideoEpisodesInput,
)
from vitra_core.episodes.state_layout import ACTION_DIM, STATE_DIM, STATE_NAMES, pack_state, unpack_state
from vitra_core.episodes.transaction import recover
from vitra_core.episodes.writer import VideoUpdate, add_recorded, add_video, build_dataset, remove_video

__all__ = [
    "ACTION_DIM", "AugmentSettings", "CODEBASE_VERSION", "DatasetMeta", "DatasetSettings", "EpisodeDatasetError",
    "EpisodeSourceError", "EpisodeSpan", "EpisodeWindowDataset", "RecordedEpisode", "RecordedEpisodesInput",
    "STATE_DIM", "STATE_NAMES", "VideoEpisodesInput", "VideoUpdate", "add_recorded", "add_video", "build_dataset",
    "export_vitra_npy", "mirror_dataset_state", "mirror_hand_state", "mirror_rest_pose", "pack_state", "read_stats",
    "recover", "remove_video", "unpack_state",
]
