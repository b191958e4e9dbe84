"""Robot demos become episodes in the human dataset's format; only successes are written; builds are deterministic."""

import dataclasses
import json

import numpy as np
import pytest

from robot.demos import (
    DemoBuildError,
    build_robot_demos,
    dataset_fingerprint,
    read_demo_report,
    record_action,
    record_state,
)
from robot.drivers.base import WristPose
from robot.mapping.shadow import shadow_to_human
from vitra_core.config import RobotDemosSettings
from robot.sim.camera import WRIST_CAMERA
from robot.sim.recording import record_episode
from robot.sim.tasks import TASKS, UnknownTaskError
from vitra_core.episodes import (
    EpisodeSourceError,
    EpisodeWindowDataset,
    RecordedEpisode,
    RecordedEpisodesInput,
    add_recorded,
)
from vitra_core.episodes import DatasetMeta
from vitra_core.episodes.reader import read_episode_rows
from vitra_core.video.probe import probe_video

SMALL = {"tasks": ["reach"], "image_size_px": 64}  # reach is the shortest task (30 steps); small frames render fast


@pytest.fixture(scope="module")
def reach_demos(tmp_path_factory):
    root = tmp_path_factory.mktemp("demos") / "robot_demos"
    report, preview = build_robot_demos(root, RobotDemosSettings(episodes_per_task=2, **SMALL))
    return root, report, preview


def test_demos_are_episodes_of_the_human_format_with_the_hand_in_the_right_slot(reach_demos, physics_drivers):
    root, report, preview = reach_demos
    info = json.loads((root / "meta" / "info.json").read_text())
    assert (info["codebase_version"], info["fps"], info["total_episodes"]) == ("v3.0", 10, 2)
    assert info["robot_type"] == "shadow_hand_sim"
    assert info["features"]["observation.state"]["shape"] == [104]
    meta = DatasetMeta.load(root)
    table = read_episode_rows(root, meta, meta.episodes[1])
    record = record_episode(physics_drivers["reach"], seed=1, pushes=RobotDemosSettings().pushes)  # same demo, not rendered
    expected = record_state(record)
    np.testing.assert_array_equal(table["observation.state"], expected)
    np.testing.assert_array_equal(table["action"], record_action(record))
    assert meta.episodes[1]["action_source"] == "commanded"
    assert np.all(expected[:, :51] == 0) and np.all(expected[:, 102:] == [0.0, 1.0])
    np.testing.assert_allclose(table["observation.fov"], WRIST_CAMERA.fovy_deg, atol=1e-4)  # reach's camera (Task.view)
    samples = EpisodeWindowDataset(root)
    first = samples[0]
    assert first["instruction"] == TASKS["reach"].instruction
    assert first["image"].shape == (3, 64, 64) and first["image"].float().std() > 10  # the rendered scene, not black
    video = probe_video(root / "videos" / "observation.images.main" / "chunk-000" / "file-000.mp4")
    assert (video.frames, video.width, video.height, video.fps) == (30, 64, 64, 10.0)
    assert (report.episodes, report.frames, report.tasks["reach"].success_rate) == (2, 60, 1.0)
    assert preview.shape == (64, 4 * 64, 3)


def test_record_state_is_shadow_to_human_of_each_observation(physics_drivers):
    record = record_episode(physics_drivers["reach"], seed=3)
    wrist = WristPose(record.wrist[7, :3], record.wrist[7, 3:])
    expected = shadow_to_human(record.joint_positions_rad[7], wrist)
    np.testing.assert_allclose(record_state(record)[7, 51:102], expected, atol=1e-6)


def test_each_demo_records_its_seed_and_success_and_the_report_is_in_meta(reach_demos):
    root, report, _ = reach_demos
    rows = [DatasetMeta.load(root).episodes[i] for i in range(2)]
    assert [(r["video_id"], r["task"], r["seed"], r["success"], r["hand"]) for r in rows] == [
        ("reach_seed0000", "reach", 0, True, "right"), ("reach_seed0001", "reach", 1, True, "right")]
    assert read_demo_report(root) == report
    assert "successful demonstrations only" in report.training_episodes


def test_the_same_settings_build_the_same_dataset(reach_demos, tmp_path):
    root, report, _ = reach_demos
    again, _ = build_robot_demos(tmp_path / "again", RobotDemosSettings(episodes_per_task=2, **SMALL))
    assert again == report
    assert dataset_fingerprint(tmp_path / "again") == dataset_fingerprint(root)


def test_failed_demos_are_counted_but_not_written(tmp_path, monkeypatch):
    def failing_odd_seeds(driver, seed, pushes):
        record = record_episode(driver, seed, pushes)
        return dataclasses.replace(record, success=seed % 2 == 0)

    monkeypatch.setattr("robot.sim.recording.record_episode", failing_odd_seeds)
    report, _ = build_robot_demos(tmp_path / "d", RobotDemosSettings(episodes_per_task=2, **SMALL))
    reach = report.tasks["reach"]
    assert (reach.demos, reach.successes, reach.success_rate, reach.failed_seeds) == (2, 1, 0.5, [1])
    assert reach.episode_indices == [0] and report.episodes == 1
    rows = list(DatasetMeta.load(tmp_path / "d").episodes.values())
    assert [row["seed"] for row in rows] == [0]


def test_a_failed_build_leaves_the_previous_dataset_untouched(tmp_path, monkeypatch):
    root = tmp_path / "robot_demos"
    build_robot_demos(root, RobotDemosSettings(episodes_per_task=1, **SMALL))
    before = dataset_fingerprint(root)

    def broken(driver, seed, pushes):
        raise RuntimeError(f"simulator crashed at seed {seed}")

    monkeypatch.setattr("robot.sim.recording.record_episode", broken)
    with pytest.raises(RuntimeError, match="seed 0"):
        build_robot_demos(root, RobotDemosSettings(episodes_per_task=2, **SMALL))
    assert dataset_fingerprint(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["robot_demos"]


def test_a_task_without_any_successful_demo_fails_the_build(tmp_path, monkeypatch):
    def failing(driver, seed, pushes):
        return dataclasses.replace(record_episode(driver, seed, pushes), success=False)

    monkeypatch.setattr("robot.sim.recording.record_episode", failing)
    with pytest.raises(DemoBuildError, match="no demonstration of reach succeeded"):
        build_robot_demos(tmp_path / "d", RobotDemosSettings(episodes_per_task=1, **SMALL))
    assert not (tmp_path / "d").exists()


def test_unknown_tasks_fail_before_recording(tmp_path):
    with pytest.raises(UnknownTaskError, match="juggle"):
        build_robot_demos(tmp_path / "d", RobotDemosSettings(tasks=["reach", "juggle"]))
    with pytest.raises(DemoBuildError, match="no robot demo report"):
        read_demo_report(tmp_path / "d")


def _recorded(frames: int, states: int, fps: float = 10.0) -> RecordedEpisodesInput:
    state = np.zeros((states, 104), dtype=np.float32)
    episode = RecordedEpisode(np.zeros((frames, 32, 32, 3), np.uint8), state, "Touch the dot.", "right")
    return RecordedEpisodesInput("reach_seed0007", fps, (45.0, 45.0), [episode])


def test_recorded_episodes_must_have_one_state_per_frame():
    with pytest.raises(EpisodeSourceError, match="reach_seed0007: episode 0: 5 frames but 4 states"):
        _recorded(frames=5, states=4)


def test_a_recording_at_another_fps_is_refused_and_the_dataset_kept(reach_demos, tmp_path):
    root, _, _ = reach_demos
    before = dataset_fingerprint(root)
    with pytest.raises(EpisodeSourceError, match="recording fps 30 differs from the dataset's 10"):
        add_recorded(root, _recorded(frames=4, states=4, fps=30.0))
    assert dataset_fingerprint(root) == before
