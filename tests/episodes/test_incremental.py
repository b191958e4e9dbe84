"""Incremental builds: appending and reprocessing touch only the video's own files; stats merge exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.episodes.conftest import file_digests, one_second_spans
from vitra_core.episodes import DatasetMeta, VideoEpisodesInput, add_video, read_stats, recover, remove_video
from vitra_core.episodes.lerobot_format import STATE_KEY, data_file, read_episode_table
from vitra_core.episodes.stats import compute_stats
from vitra_core.episodes import transaction


def test_adding_a_video_leaves_earlier_files_byte_identical(incremental_build):
    root, before = incremental_build["root"], incremental_build["before"]
    after = file_digests(root)
    assert before and all(after[path] == digest for path, digest in before.items())
    assert len(after) == len(before) + 2 * 4  # asl's 4 episodes: one parquet and one mp4 each
    assert [u.episode_indices for u in incremental_build["updates"]] == [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9, 10]]


def test_incremental_stats_equal_a_from_scratch_build(incremental_build, scratch_build):
    incremental, scratch = read_stats(incremental_build["root"]), read_stats(scratch_build)
    assert incremental.keys() == scratch.keys()
    for feature in scratch:
        for key in scratch[feature]:
            np.testing.assert_allclose(incremental[feature][key], scratch[feature][key], atol=1e-6, rtol=0)
    assert file_digests(incremental_build["root"], ("data",)) == file_digests(scratch_build, ("data",))


def test_merged_stats_equal_stats_over_all_frames(incremental_build):
    root = incremental_build["root"]
    meta = DatasetMeta.load(root)
    states = np.concatenate([read_episode_table(root / data_file(i, 1000))[STATE_KEY] for i in sorted(meta.episodes)])
    merged = read_stats(root)
    direct = compute_stats(states)
    for key in ("mean", "std", "min", "max", "count"):
        np.testing.assert_allclose(merged[STATE_KEY][key], direct[key], atol=1e-9)
    present = np.repeat(states[:, 102:] > 0.5, 51, axis=1)
    hands = compute_stats(states[:, :102], present)
    np.testing.assert_allclose(merged["hand_state"]["mean"], hands["mean"], atol=1e-9)
    np.testing.assert_allclose(merged["hand_state"]["std"], hands["std"], atol=1e-9)
    assert merged["hand_state"]["count"][0] == present[:, 0].sum() > 0  # the left hand's frames only
    assert merged[STATE_KEY]["count"][0] == len(states) == json.loads((root / "meta/info.json").read_text())["total_frames"]


def test_reprocessing_a_video_replaces_only_its_episodes(dataset_copy, episode_sources):
    before = file_digests(dataset_copy)
    source = episode_sources["handlandmark"]
    fewer = VideoEpisodesInput(source.video_id, source.clip_path, source.poses,
                               one_second_spans(source.poses.num_frames, limit=1))
    update = add_video(dataset_copy, fewer)
    assert update.episode_indices == [3, 4] and update.removed_indices == [5, 6]
    after = file_digests(dataset_copy)
    mine = {data_file(i, 1000) for i in range(3, 7)} | {f"videos/chunk-000/observation.images.main/episode_{i:06d}.mp4"
                                                        for i in range(3, 7)}
    assert {p: d for p, d in after.items() if p not in mine} == {p: d for p, d in before.items() if p not in mine}
    assert data_file(5, 1000) not in after and data_file(6, 1000) not in after
    meta = DatasetMeta.load(dataset_copy)
    assert sorted(meta.episodes) == [0, 1, 2, 3, 4, 7, 8, 9, 10]
    assert meta.episodes[4]["instruction"].startswith("Left hand: Wave")

    more = VideoEpisodesInput(source.video_id, source.clip_path, source.poses,
                              one_second_spans(source.poses.num_frames, limit=6))
    update = add_video(dataset_copy, more)
    assert update.episode_indices == list(range(11, 18)) and update.removed_indices == [3, 4]
    info = json.loads((dataset_copy / "meta/info.json").read_text())
    assert info["total_episodes"] == 3 + 7 + 4
    assert remove_video(dataset_copy, "cooking") == [0, 1, 2]
    assert sorted(DatasetMeta.load(dataset_copy).episodes) == [7, 8, 9, 10] + list(range(11, 18))


def test_a_failure_while_encoding_leaves_the_dataset_as_it_was(dataset_copy, episode_sources, monkeypatch):
    before = file_digests(dataset_copy, ("data", "videos", "meta"))

    def broken_encoder(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("vitra_core.episodes.writer.write_episode_videos", broken_encoder)
    with pytest.raises(RuntimeError, match="disk full"):
        add_video(dataset_copy, episode_sources["cooking"])
    assert file_digests(dataset_copy, ("data", "videos", "meta")) == before
    assert not (dataset_copy / transaction.STAGING_DIR).exists()


def test_a_crash_after_commit_is_rolled_forward(dataset_copy, episode_sources, monkeypatch):
    def crash(root):
        raise KeyboardInterrupt

    monkeypatch.setattr(transaction, "_apply", crash)
    with pytest.raises(KeyboardInterrupt):
        remove_video(dataset_copy, "asl")
    monkeypatch.undo()
    assert recover(dataset_copy) == "rolled_forward"
    meta = DatasetMeta.load(dataset_copy)
    assert "asl" not in meta.videos and sorted(meta.episodes) == list(range(7))
    assert not (dataset_copy / data_file(7, 1000)).exists()
    assert recover(dataset_copy) == "clean"
