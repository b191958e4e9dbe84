"""Incremental builds: appending touches only the new video's files, reprocessing only its own and the numbers
(never the videos) of the sources after it; stats merge exactly."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.episodes.conftest import file_digests, one_second_spans
from vitra_core.episodes import DatasetMeta, VideoEpisodesInput, add_video, read_stats, recover, remove_video
from vitra_core.episodes.lerobot_format import STATE_KEY, data_file, episodes_meta_file, read_data_table, video_file
from vitra_core.episodes.lerobot_format import DatasetSettings
from vitra_core.episodes.stats import compute_stats
from vitra_core.episodes import transaction


def test_adding_a_video_leaves_earlier_files_byte_identical(incremental_build):
    root, before = incremental_build["root"], incremental_build["before"]
    after = file_digests(root)
    assert before and all(after[path] == digest for path, digest in before.items())
    assert sorted(set(after) - set(before)) == [data_file(2, 1000), video_file(2, DatasetSettings())]  # asl's slot
    assert [u.episode_indices for u in incremental_build["updates"]] == [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9, 10]]


def test_adding_a_video_rewrites_only_its_own_meta_and_the_fixed_size_files(incremental_build):
    before = incremental_build["before_meta"]
    after = file_digests(incremental_build["root"], ("meta",))
    changed = sorted(path for path, digest in after.items() if before.get(path) != digest)
    assert set(before) <= set(after)
    assert set(changed) - {"meta/tasks.parquet"} == {
        episodes_meta_file(2, 1000), "meta/vitra/sources/asl.json", "meta/vitra/index/chunk-000.json",
        "meta/vitra_dataset.json", "meta/stats.json", "meta/info.json"}
    assert "meta/vitra/sources/cooking.json" in before  # the earlier sources' records are left as they were


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
    states = np.concatenate([read_data_table(root / data_file(meta.videos[vid]["slot"], 1000))[STATE_KEY]
                             for vid in meta.source_order()])
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


def _numbers(root) -> dict[str, list[tuple[int, int]]]:
    """Per source: (episode_index, first frame index) of each episode, as LeRobot reads them from the files."""
    meta = DatasetMeta.load(root)
    out = {}
    for vid in meta.source_order():
        table = read_data_table(root / data_file(meta.videos[vid]["slot"], 1000))
        first = np.flatnonzero(table["frame_index"] == 0)
        out[vid] = [(int(table["episode_index"][k]), int(table["index"][k])) for k in first]
    return out


def test_reprocessing_a_video_rewrites_its_files_and_only_renumbers_later_ones(dataset_copy, episode_sources):
    before = file_digests(dataset_copy)
    source = episode_sources["handlandmark"]  # slot 1, between cooking (0) and asl (2)
    fewer = VideoEpisodesInput(source.video_id, source.clip_path, source.poses,
                               one_second_spans(source.poses.num_frames, limit=1))
    update = add_video(dataset_copy, fewer)
    assert update.episode_indices == [3, 4] and update.removed_indices == [5, 6]
    after = file_digests(dataset_copy)
    settings = DatasetSettings()
    assert after[video_file(2, settings)] == before[video_file(2, settings)]  # asl's video: renumbered, not rewritten
    assert after[data_file(2, 1000)] != before[data_file(2, 1000)]
    untouched = {data_file(0, 1000), video_file(0, settings)}
    assert all(after[p] == before[p] for p in untouched)
    numbers = _numbers(dataset_copy)
    assert [e for e, _ in numbers["asl"]] == [5, 6, 7, 8]  # dense again
    assert numbers["asl"][0][1] == sum(row["length"] for i, row in DatasetMeta.load(dataset_copy).episodes.items() if i < 5)
    meta = DatasetMeta.load(dataset_copy)
    assert sorted(meta.episodes) == list(range(9))
    assert meta.episodes[4]["instruction"].startswith("Left hand: Wave")
    stored = pq.read_table(dataset_copy / episodes_meta_file(2, 1000)).to_pylist()
    assert [(r["episode_index"], r["dataset_from_index"], r["stats/index/min"]) for r in stored] == [
        (e, f, [float(f)]) for e, f in numbers["asl"]]

    more = VideoEpisodesInput(source.video_id, source.clip_path, source.poses,
                              one_second_spans(source.poses.num_frames, limit=6))
    update = add_video(dataset_copy, more)
    assert update.episode_indices == list(range(3, 10)) and update.removed_indices == []
    info = json.loads((dataset_copy / "meta/info.json").read_text())
    assert info["total_episodes"] == 3 + 7 + 4 == len(DatasetMeta.load(dataset_copy).episodes)
    assert remove_video(dataset_copy, "cooking") == [0, 1, 2]
    assert [e for vid in ("handlandmark", "asl") for e, _ in _numbers(dataset_copy)[vid]] == list(range(11))
    assert not (dataset_copy / data_file(0, 1000)).exists()


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
    assert not (dataset_copy / data_file(2, 1000)).exists()
    assert recover(dataset_copy) == "clean"
