"""`vitra episodes migrate`: a v2.1 dataset written by the previous writer (a real fixture: two sample clips
and one recording) becomes v3.0 with the same frames, states, tasks and stats, and next-state actions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from vitra_core.episodes import DatasetMeta, EpisodeDatasetError, read_stats
from vitra_core.episodes.lerobot_format import ACTION_KEY, FOV_KEY, STATE_KEY, episodes_meta_file, read_episodes_meta
from vitra_core.episodes.migrate import _jsonl, _v21_state, is_v21, migrate, migrate_v21
from vitra_core.episodes.reader import read_episode_frames, read_episode_rows

FIXTURE = Path(__file__).parent / "fixtures" / "v21_dataset"
CONTENT_FEATURES = ("observation.state", "observation.fov", "timestamp", "frame_index", "task_index",
                    "observation.images.main")


def _decode(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return np.stack(frames)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("migrate") / "episodes"
    shutil.copytree(FIXTURE, root)
    migrate_v21(root)
    return root


def test_migration_keeps_frames_states_tasks_and_stats(migrated):
    old_rows = {row["episode_index"]: row for row in _jsonl(FIXTURE / "meta/vitra_episodes.jsonl")}
    old_stats = {row["episode_index"]: row["stats"] for row in _jsonl(FIXTURE / "meta/episodes_stats.jsonl")}
    old_tasks = [row["task"] for row in _jsonl(FIXTURE / "meta/tasks.jsonl")]
    meta = DatasetMeta.load(migrated)
    assert meta.tasks == old_tasks and not is_v21(migrated)
    episodes = meta.episodes
    assert len(episodes) == len(old_rows) == 9
    new_stats = {row["episode_index"]: row for vid in meta.source_order()
                 for row in read_episodes_meta(migrated / episodes_meta_file(meta.videos[vid]["slot"], 1000))}
    for new_index, (old_index, old) in zip(sorted(episodes), sorted(old_rows.items())):
        new = episodes[new_index]
        assert (new["video_id"], new["span_index"], new["instruction"], new["length"]) == (
            old["video_id"], old["span_index"], old["instruction"], old["length"])
        rows = read_episode_rows(migrated, meta, new)
        state, fov = _v21_state(FIXTURE / f"data/chunk-000/episode_{old_index:06d}.parquet")
        np.testing.assert_array_equal(rows[STATE_KEY], state)
        np.testing.assert_array_equal(rows[FOV_KEY], fov)
        old_frames = _decode(FIXTURE / f"videos/chunk-000/observation.images.main/episode_{old_index:06d}.mp4")
        np.testing.assert_array_equal(read_episode_frames(migrated, meta, new), old_frames)  # the same pixels
        for feature in CONTENT_FEATURES:
            for stat in ("min", "max", "mean", "std", "count"):
                np.testing.assert_allclose(new_stats[new_index][f"stats/{feature}/{stat}"],
                                           old_stats[old_index][feature][stat], atol=1e-6, rtol=0)


def test_migrated_actions_are_the_next_state_of_the_clip(migrated):
    meta = DatasetMeta.load(migrated)
    episodes = meta.episodes
    cook = {row["span_index"]: read_episode_rows(migrated, meta, row) for row in episodes.values()
            if row["video_id"] == "cook"}
    np.testing.assert_array_equal(cook[0][ACTION_KEY][:-1], cook[0][STATE_KEY][1:])
    np.testing.assert_array_equal(cook[0][ACTION_KEY][-1], cook[1][STATE_KEY][0])  # clip frame 15, from the next span
    recorded = next(read_episode_rows(migrated, meta, row) for row in episodes.values() if row["video_id"] == "recorded_hl")
    np.testing.assert_array_equal(recorded[ACTION_KEY][-1], recorded[STATE_KEY][-1])  # a recording's end holds
    info = json.loads((migrated / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0" and info["total_frames"] == 124


def test_migrating_twice_is_refused_and_names_the_folder(migrated):
    with pytest.raises(EpisodeDatasetError, match="not a LeRobot v2.1 dataset"):
        migrate_v21(migrated)


def test_a_v21_dataset_is_refused_by_the_reader_with_the_migrate_hint(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "old")
    with pytest.raises(EpisodeDatasetError, match="vitra episodes migrate"):
        DatasetMeta.load(tmp_path / "old")


def as_format_2(root: Path) -> None:
    """Rewrite a dataset's own meta as format 2 left it: every record inside meta/vitra_dataset.json."""
    meta = DatasetMeta.load(root)
    own = {"format_version": 2, "settings": meta.settings.model_dump(), "fps": meta.fps, "next_slot": meta.next_slot,
           "videos": {vid: meta.videos[vid] for vid in sorted(meta.videos)}}
    shutil.rmtree(root / "meta" / "vitra")
    (root / "meta" / "vitra_dataset.json").write_text(json.dumps(own, indent=1))


def test_a_format_2_dataset_reads_the_same_and_migrates_to_one_record_per_source(migrated, tmp_path):
    root = tmp_path / "episodes"
    shutil.copytree(migrated, root)
    as_format_2(root)
    expected = DatasetMeta.load(migrated)
    assert DatasetMeta.load(root).episodes == expected.episodes
    assert migrate(root).episodes == expected.episodes
    assert json.loads((root / "meta" / "vitra_dataset.json").read_text())["format_version"] == 3
    assert sorted(p.name for p in (root / "meta" / "vitra" / "sources").iterdir()) == sorted(
        f"{vid}.json" for vid in expected.videos)
    for feature, stats in read_stats(migrated).items():
        for key, value in stats.items():
            np.testing.assert_allclose(read_stats(root)[feature][key], value, atol=1e-9, rtol=1e-12)
