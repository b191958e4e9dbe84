"""Held-out action-prediction errors and their baselines, on trajectories whose answers are known."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from vitra_core.hands.kinematics import EULER_ORDER
from vitra_core.training.evaluation import (
    EvalSample, constant_velocity_chunk, errors_table, evaluate_action_prediction, hold_chunk,
)

CHUNK = 16


def hold_model(samples: list[EvalSample]) -> np.ndarray:
    """A 'model' that predicts the hold baseline."""
    return np.stack([hold_chunk(s.state[:102], CHUNK) for s in samples])


def right_hand_trajectory(steps: int, velocity_m: np.ndarray, spin_rad: float) -> np.ndarray:
    """[steps, 104]: a right hand moving at constant velocity and spinning about z at a constant rate."""
    states = np.zeros((steps, 104), np.float32)
    for t in range(steps):
        hand = np.zeros(51)
        hand[:3] = np.array([0.0, 0.0, 0.5]) + t * velocity_m
        hand[3:6] = Rotation.from_euler("z", 2.5 + t * spin_rad).as_euler(EULER_ORDER)  # crosses +-pi
        hand[6:] = np.tile(Rotation.from_euler("x", 0.1 * t).as_euler(EULER_ORDER), 15)
        states[t, 51:102] = hand
        states[t, 103] = 1.0
    return states


def sample_at(states: np.ndarray, t: int, mask: np.ndarray | None = None) -> EvalSample:
    future = states[t + 1:t + 1 + CHUNK, :102]
    return EvalSample(
        image=np.zeros((8, 8, 3), np.uint8), instruction="Left hand: None. Right hand: Move.", state=states[t],
        previous_state=states[max(t - 1, 0)], fov_deg=np.array([60.0, 45.0], np.float32), actions=future,
        action_mask=np.tile([False, True], (CHUNK, 1)) if mask is None else mask,
    )


def test_constant_velocity_is_exact_on_constant_motion_and_hold_is_not():
    states = right_hand_trajectory(40, np.array([0.01, 0.0, 0.0]), spin_rad=0.1)
    errors = evaluate_action_prediction(hold_model, [sample_at(states, t) for t in (5, 10, 20)])
    assert errors["constant_velocity"].wrist_ade_cm == pytest.approx(0.0, abs=1e-4)
    assert errors["constant_velocity"].wrist_rotation_deg == pytest.approx(0.0, abs=1e-3)
    assert errors["constant_velocity"].joint_angle_deg == pytest.approx(0.0, abs=1e-3)
    # hold: mean of 1..16 cm = 8.5 cm; the final step is 16 cm away; rotation mean 8.5 * 0.1 rad (all below pi)
    assert errors["hold"].wrist_ade_cm == pytest.approx(8.5, rel=1e-4)
    assert errors["hold"].wrist_fde_cm == pytest.approx(16.0, rel=1e-4)
    assert errors["hold"].wrist_rotation_deg == pytest.approx(np.degrees(8.5 * 0.1), rel=1e-3)
    assert errors["model"] == errors["hold"]  # the predictor given here is the hold baseline


def test_rotation_error_is_geodesic_across_the_euler_wrap():
    states = right_hand_trajectory(40, np.zeros(3), spin_rad=0.0)
    predicted = hold_chunk(states[0, :102], CHUNK)
    predicted[:, 51 + 5] += 2 * np.pi - 0.01  # the same rotation up to 0.01 rad, written the long way round
    errors = evaluate_action_prediction(lambda samples: np.stack([predicted] * len(samples)), [sample_at(states, 0)])
    assert errors["model"].wrist_rotation_deg == pytest.approx(np.degrees(0.01), rel=1e-3)


def test_masked_steps_and_absent_hands_do_not_count():
    states = right_hand_trajectory(40, np.array([0.01, 0.0, 0.0]), spin_rad=0.0)
    mask = np.tile([False, True], (CHUNK, 1))
    mask[4:] = False  # the hand leaves after 4 steps
    errors = evaluate_action_prediction(hold_model, [sample_at(states, 10, mask)])
    assert errors["hold"].wrist_ade_cm == pytest.approx(2.5, rel=1e-4)  # mean of 1..4 cm
    assert errors["hold"].wrist_fde_cm == pytest.approx(4.0, rel=1e-4)
    assert errors["hold"].hand_chunks == 1
    absent = states.copy()
    absent[10, 103] = 0.0  # not present now: nothing to evaluate for this sample
    with pytest.raises(Exception, match="no held-out sample"):
        evaluate_action_prediction(hold_model, [sample_at(absent, 10)])


def test_constant_velocity_falls_back_to_hold_when_the_hand_just_appeared():
    states = right_hand_trajectory(40, np.array([0.01, 0.0, 0.0]), spin_rad=0.0)
    states[9, 51:] = 0.0  # absent at t-1
    errors = evaluate_action_prediction(hold_model, [sample_at(states, 10)])
    assert errors["constant_velocity"] == errors["hold"]


def test_constant_velocity_chunk_continues_a_turn_past_pi():
    previous = np.zeros(102)
    state = np.zeros(102)
    previous[3:6] = Rotation.from_euler("z", 3.0).as_euler(EULER_ORDER)
    state[3:6] = Rotation.from_euler("z", 3.1).as_euler(EULER_ORDER)
    chunk = constant_velocity_chunk(previous, state, 3)
    angles = Rotation.from_euler(EULER_ORDER, chunk[:, 3:6]).as_euler("xyz")[:, 2]
    wrapped_difference = np.mod(angles - np.array([3.2, 3.3, 3.4]) + np.pi, 2 * np.pi) - np.pi
    np.testing.assert_allclose(wrapped_difference, 0.0, atol=1e-5)


def test_errors_table_has_a_row_per_method():
    states = right_hand_trajectory(40, np.array([0.01, 0.0, 0.0]), spin_rad=0.0)
    table = errors_table(evaluate_action_prediction(hold_model, [sample_at(states, 3)]))
    assert [line.split("|")[1].strip() for line in table.splitlines()[2:]] == ["model", "hold", "constant_velocity"]
    assert "| 8.50 |" in table
