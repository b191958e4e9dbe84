"""Roll-outs through the adapter: the scripted demonstrator keeps its success rate, the zero policy scores 0."""

import math

import numpy as np
import pytest

from robot.evaluation import (
    EvalSettings,
    HoldStatePolicy,
    evaluate_policy,
    evaluate_scripted,
    rollout,
    wilson_interval,
)
from robot.policy_adapter import BLANK_IMAGE
from robot.sim.camera import SCENE_CAMERA
from robot.sim.tasks import TASKS, TRAINING_TASKS, UnknownTaskError
from vitra_core.video.probe import probe_video


@pytest.mark.parametrize(("successes", "n", "expected"), [
    (0, 10, (0.0, 0.2775)), (10, 10, (0.7225, 1.0)), (5, 10, (0.2366, 0.7634)), (20, 20, (0.8389, 1.0)),
])
def test_wilson_interval_matches_hand_computed_values(successes, n, expected):
    low, high = wilson_interval(successes, n)
    assert (low, high) == pytest.approx(expected, abs=1e-4)
    assert low <= successes / n <= high  # exactly, also at 0/n and n/n (a plot's error bars must not be negative)


@pytest.mark.parametrize(("successes", "n"), [(3, 0), (4, 3), (-1, 3)])
def test_wilson_interval_rejects_impossible_counts(successes, n):
    with pytest.raises(ValueError, match=f"{successes}/{n}"):
        wilson_interval(successes, n)


def test_scripted_demonstrator_through_the_adapter_solves_every_task_and_variation_on_seeds_0_to_2():
    report = evaluate_scripted(EvalSettings.for_scripted(tasks=list(TASKS), seeds=[0, 1, 2]))
    scores = {task: (s.successes, s.n, s.rate) for task, s in report.tasks.items()}
    assert scores == {task: (3, 3, 1.0) for task in TASKS}
    assert report.tasks["reach"].ci95_low == pytest.approx(0.4385, abs=1e-4)
    assert [(r.task, r.seed) for r in report.rollouts] == [(task, seed) for task in TASKS for seed in (0, 1, 2)]


@pytest.mark.slow
def test_scripted_demonstrator_through_the_adapter_keeps_its_recorded_20_of_20():
    report = evaluate_scripted()  # the demonstrated tasks, seeds 0-19
    assert {task: s.successes for task, s in report.tasks.items()} == {task: 20 for task in TRAINING_TASKS}


def test_the_zero_policy_scores_zero_on_every_task():
    report = evaluate_policy(HoldStatePolicy(), "hold_state", EvalSettings(seeds=[0, 1, 2], render=False))
    for score in report.tasks.values():
        assert (score.successes, score.n, score.failed_seeds) == (0, 3, [0, 1, 2])
        assert (score.ci95_low, score.ci95_high) == pytest.approx((0.0, 0.5615), abs=1e-4)
    assert "| reach | 0/3 | 0% | 0.00-0.56 |" in report.markdown()


def test_a_policy_sees_the_camera_image_instruction_and_fov_and_replans_every_k_steps(reach_driver):
    seen = []

    class Watching(HoldStatePolicy):
        def predict(self, image, instruction, state, state_mask, fov):
            seen.append((image, instruction, fov))
            return super().predict(image, instruction, state, state_mask, fov)

    result = rollout(Watching(), reach_driver, seed=0, execute_steps=8)
    steps = round(TASKS["reach"].episode_s * 10)
    assert (result.success, result.steps, result.plans) == (False, steps, math.ceil(steps / 8))
    assert result.frames.shape == (steps + 1, 224, 224, 3)
    image, instruction, fov = seen[1]
    assert image is not BLANK_IMAGE and np.array_equal(image, result.frames[8])  # the plan after 8 steps
    assert instruction == TASKS["reach"].instruction
    np.testing.assert_allclose(fov, [SCENE_CAMERA.fovy_deg] * 2, atol=1e-4)


def test_failed_rollouts_are_saved_as_mp4_and_successful_ones_are_not(tmp_path):
    failed = evaluate_policy(HoldStatePolicy(), "hold_state", EvalSettings(tasks=["reach"], seeds=[4]), tmp_path)
    video = tmp_path / "reach" / "seed0004.mp4"
    assert failed.rollouts[0].video == str(video)
    probe = probe_video(video)
    assert (probe.frames, probe.width, probe.height, probe.fps) == (31, 224, 224, 10.0)
    rendered = EvalSettings.for_scripted(tasks=["reach"], seeds=[4], render=True)
    solved = evaluate_scripted(rendered, tmp_path / "scripted")
    assert solved.rollouts[0].success and solved.rollouts[0].video is None
    assert not (tmp_path / "scripted").exists()


def test_an_unknown_task_fails_before_any_rollout():
    with pytest.raises(UnknownTaskError, match="table_grasp"):
        evaluate_scripted(EvalSettings.for_scripted(tasks=["reach", "juggle"], seeds=[0]))
