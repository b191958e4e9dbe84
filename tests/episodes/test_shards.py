"""Shards written separately and appended equal one dataset built source by source: the same data (numbers and
task indices remapped), videos byte for byte, meta/episodes rows, stats and info."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.episodes.conftest import file_digests
from vitra_core.episodes import DatasetMeta, EpisodeDatasetError, build_dataset, read_stats
from vitra_core.episodes.lerobot_format import (
    data_file, episodes_meta_file, read_data_table, read_episodes_meta, read_tasks,
)
from vitra_core.episodes.shards import append_shards


@pytest.fixture(scope="module")
def appended(episode_sources, tmp_path_factory):
    base = tmp_path_factory.mktemp("shards")
    first, second = base / "shard-a", base / "shard-b"
    build_dataset(first, [episode_sources["cooking"]])
    build_dataset(second, [episode_sources["handlandmark"], episode_sources["asl"]])
    root = base / "dataset"
    added = append_shards(root, [first, second])
    return root, added, second


def test_appended_shards_equal_a_dataset_built_in_one_go(appended, scratch_build):
    root, added, second = appended
    assert added == ["cooking", "handlandmark", "asl"]
    assert read_tasks(second / "meta/tasks.parquet") != read_tasks(root / "meta/tasks.parquet")  # indices remapped
    assert file_digests(root, ("videos",)) == file_digests(scratch_build, ("videos",))
    for slot in range(3):
        ours, theirs = (read_data_table(r / data_file(slot, 1000)) for r in (root, scratch_build))
        assert ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in theirs)
    assert read_tasks(root / "meta/tasks.parquet") == read_tasks(scratch_build / "meta/tasks.parquet")
    for slot in range(3):
        ours, theirs = (read_episodes_meta(r / episodes_meta_file(slot, 1000)) for r in (root, scratch_build))
        assert [sorted(row) for row in ours] == [sorted(row) for row in theirs]
        for mine, other in zip(ours, theirs):
            for column, value in other.items():
                if column.startswith("stats/"):
                    np.testing.assert_allclose(np.asarray(mine[column], float), np.asarray(value, float), atol=1e-9)
                else:
                    assert mine[column] == value, column
    expected = read_stats(scratch_build)
    for feature, stats in read_stats(root).items():
        for key, value in stats.items():
            np.testing.assert_allclose(value, expected[feature][key], atol=1e-6, rtol=0)
    assert json.loads((root / "meta/info.json").read_text()) == json.loads((scratch_build / "meta/info.json").read_text())
    assert DatasetMeta.load(root).episodes == DatasetMeta.load(scratch_build).episodes


def test_a_shard_repeating_a_source_is_refused_and_leaves_the_dataset_as_it_was(appended):
    root, _, second = appended
    before = file_digests(root, ("data", "videos", "meta"))
    with pytest.raises(EpisodeDatasetError, match="source handlandmark is already in"):
        append_shards(root, [second])
    assert file_digests(root, ("data", "videos", "meta")) == before
