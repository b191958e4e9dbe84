"""Partitions: one per video, keyed by the video's content id."""

from dagster import DynamicPartitionsDefinition

VIDEOS = "videos"
videos_partitions = DynamicPartitionsDefinition(name=VIDEOS)
