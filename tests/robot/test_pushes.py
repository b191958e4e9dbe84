"""Pushed demos (DART): a correcting demonstrator is pushed off course at seeded steps, steers back, and its
recorded actions are what it meant to command, not the push."""

import numpy as np
import pytest
from pydantic import ValidationError

from robot.sim.recording import episode_pushes, record_episode
from vitra_core.config import PushSettings

PUSHES = PushSettings()


def test_pushes_are_drawn_from_the_seed_inside_their_window_at_their_lengths():
    pushes = episode_pushes("reach", PUSHES, seed=4, n_steps=30, fps=10.0)
    again = episode_pushes("reach", PUSHES, seed=4, n_steps=30, fps=10.0)
    other = episode_pushes("reach", PUSHES, seed=5, n_steps=30, fps=10.0)
    assert sorted(pushes) == sorted(again) and all(np.array_equal(pushes[k], again[k]) for k in pushes)
    assert len(pushes) == 3 and all(3 <= step < 20 for step in pushes)  # 0.3 s .. 1 s before the 3 s end
    assert all(0.03 <= np.linalg.norm(push) <= 0.08 for push in pushes.values())
    assert [list(p) for p in other.values()] != [list(p) for p in pushes.values()]


def test_only_a_demonstrator_that_steers_back_is_pushed():
    for task in ("palm_ball", "table_grasp", "table_grasp_wide_can"):
        assert episode_pushes(task, PUSHES, seed=0, n_steps=45, fps=10.0) == {}
    assert episode_pushes("reach", None, seed=0, n_steps=30, fps=10.0) == {}
    assert episode_pushes("reach", PUSHES.model_copy(update={"count": 0}), seed=0, n_steps=30, fps=10.0) == {}


def test_a_pushed_reach_is_thrown_off_steers_back_and_records_the_intended_commands(physics_drivers):
    driver = physics_drivers["reach"]
    plain = record_episode(driver, seed=2)
    pushed = record_episode(driver, seed=2, pushes=PUSHES)
    first = min(episode_pushes("reach", PUSHES, 2, len(plain.wrist), plain.fps))
    # identical up to the first push; the recorded command at the push is the unpushed demo's
    np.testing.assert_allclose(pushed.action_wrist[: first + 1], plain.action_wrist[: first + 1], atol=1e-5)
    # the hand was moved off the commanded target by the push (3-8 cm; the weld follows within a step)
    off_course = np.linalg.norm(pushed.wrist[first + 1, :3] - pushed.action_wrist[first, :3])
    assert off_course > 0.02
    # and the next command steers back from where the push left it: towards the plain demo's path
    assert np.linalg.norm(pushed.action_wrist[first + 1, :3] - plain.action_wrist[first + 1, :3]) < off_course
    assert pushed.success and plain.success


def test_push_lengths_out_of_order_are_refused():
    with pytest.raises(ValidationError, match="shortest <= longest"):
        PushSettings(length_m=(0.08, 0.03))
