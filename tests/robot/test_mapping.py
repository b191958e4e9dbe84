"""The Shadow hand <-> 51-number human state mapping: its table matches the model, round trips, clips, and means what it says."""

import mujoco
import numpy as np
import pytest

from robot.drivers.base import WristPose
from robot.mapping.shadow import (
    ACTUATED_NAMES,
    COMMANDED_COMPONENTS,
    COUPLED_COMPONENTS,
    JOINT_NAMES,
    PALM_IN_HAND,
    SHADOW_JOINTS,
    coupled_distal_rad,
    human_to_shadow,
    shadow_to_human,
)
from robot.sim.rotations import angle_between
from robot.sim.scene import FINGERTIP_SITES, PALM_CENTRE_SITE
from vitra_core.hands.kinematics import euler_to_matrix, forward_kinematics, palm_frames
from vitra_core.hands.skeleton import CHAINS, MANO_JOINT_NAMES, PALM

LOWER = np.array([j.lower_rad for j in SHADOW_JOINTS])
UPPER = np.array([j.upper_rad for j in SHADOW_JOINTS])
FINGERS = ("index", "middle", "ring", "pinky")


def _random_wrist(rng):
    quat = rng.normal(size=4)
    return WristPose(rng.uniform(-0.3, 0.3, 3) + [0, 0, 0.6], quat)


def _random_configuration(rng):
    """Joint positions drawn uniformly within the limits, passive distal joints at their coupled value."""
    q = dict(zip(JOINT_NAMES, rng.uniform(LOWER, UPPER).tolist()))
    for distal in ("FFJ0", "MFJ0", "RFJ0", "LFJ0"):
        q[distal] = coupled_distal_rad(q[distal[:2] + "J1"])
    return q


def _component(state, joint, axis):
    return state[6 + 3 * MANO_JOINT_NAMES.index(joint) + "xyz".index(axis)]


def test_joint_table_limits_and_order_match_the_simulated_hand(physics_drivers):
    driver = physics_drivers["reach"]
    assert [j.name for j in driver.joints] == list(JOINT_NAMES)
    for ours, model in zip(SHADOW_JOINTS, driver.joints):
        assert ours.actuated == model.actuated
        assert ours.lower_rad == pytest.approx(model.lower_rad) and ours.upper_rad == pytest.approx(model.upper_rad)
    assert driver.sim.actuated_names == list(ACTUATED_NAMES)


def test_state_wrist_rotation_is_the_palm_frame_of_the_simulated_knuckles(physics_drivers):
    """The fixed offset PALM_IN_HAND, composed with WRJ1/WRJ0, gives the human palm frame of the robot's knuckles."""
    driver = physics_drivers["reach"]
    model, data = driver.sim.model, mujoco.MjData(driver.sim.model)
    rng = np.random.default_rng(7)
    for _ in range(5):
        q = _random_configuration(rng)
        q["LFJ4"] = 0.0  # the little knuckle moves with the metacarpal
        data.qpos[:] = driver.sim.data.qpos
        for spec, value in q.items():
            data.qpos[model.jnt_qposadr[model.joint("robot0:" + spec).id]] = value
        mujoco.mj_kinematics(model, data)
        wrist = driver.camera.to_camera(data.site("vitra:wrist").xpos, data.site("vitra:wrist").xmat.reshape(3, 3))
        state = shadow_to_human(q, wrist)
        palm_world = data.body("robot0:palm").xmat.reshape(3, 3)
        palm_cam = driver.camera.to_camera(data.body("robot0:palm").xpos, palm_world @ PALM_IN_HAND).rotation
        assert np.allclose(euler_to_matrix(state[3:6]), palm_cam, atol=1e-9)
        assert np.allclose(state[:3], wrist.position_m)
    # with the wrist joints at zero the frame is exactly vitra_core's palm_frames of wrist and knuckles
    data.qpos[:] = driver.sim.data.qpos
    for name in JOINT_NAMES:
        data.qpos[model.jnt_qposadr[model.joint("robot0:" + name).id]] = 0.0
    mujoco.mj_kinematics(model, data)
    to_cam = driver.camera.rotation_world_cam.T
    joints = np.zeros((21, 3))
    for landmark, body in ((0, None), (5, "ffknuckle"), (9, "mfknuckle"), (17, "lfknuckle")):
        point = data.site("vitra:wrist").xpos if body is None else data.body("robot0:" + body).xpos
        joints[landmark] = to_cam @ (point - driver.camera.position_world_m)
    wrist = driver.camera.to_camera(data.site("vitra:wrist").xpos, data.site("vitra:wrist").xmat.reshape(3, 3))
    state = shadow_to_human(dict.fromkeys(JOINT_NAMES, 0.0), wrist)
    assert angle_between(euler_to_matrix(state[3:6]), palm_frames(joints, is_right=True)) < 1e-6


def test_robot_configurations_round_trip_through_the_human_state():
    rng = np.random.default_rng(0)
    for _ in range(500):
        q, wrist = _random_configuration(rng), _random_wrist(rng)
        targets, back = human_to_shadow(shadow_to_human(q, wrist), wrist_joints_rad=(q["WRJ1"], q["WRJ0"]))
        assert list(targets) == list(ACTUATED_NAMES)
        assert np.allclose([targets[n] for n in ACTUATED_NAMES], [q[n] for n in ACTUATED_NAMES], atol=1e-6, rtol=0)
        assert np.allclose(back.position_m, wrist.position_m, atol=1e-9)
        assert angle_between(back.rotation, wrist.rotation) < 1e-6


def test_array_inputs_in_driver_or_actuated_order_give_the_same_state():
    rng = np.random.default_rng(1)
    q, wrist = _random_configuration(rng), _random_wrist(rng)
    from_dict = shadow_to_human(q, wrist)
    assert np.allclose(shadow_to_human(np.array([q[n] for n in JOINT_NAMES]), wrist), from_dict)
    assert np.allclose(shadow_to_human(np.array([q[n] for n in ACTUATED_NAMES]), wrist), from_dict)


def test_human_states_within_the_limits_round_trip_on_the_mapped_components():
    rng = np.random.default_rng(2)
    for _ in range(500):
        q = {n: v for n, v in _random_configuration(rng).items() if n in ACTUATED_NAMES}
        state = shadow_to_human(q, _random_wrist(rng))
        unmapped = ~(COMMANDED_COMPONENTS | COUPLED_COMPONENTS)
        noisy = state.copy()
        noisy[unmapped] = rng.uniform(-1.0, 1.0, unmapped.sum())  # human-only angles: ignored
        targets, wrist = human_to_shadow(noisy)  # wrist joints 0: the base carries the palm's rotation
        again = shadow_to_human(targets, wrist)
        assert np.allclose(again[COMMANDED_COMPONENTS | COUPLED_COMPONENTS], state[COMMANDED_COMPONENTS | COUPLED_COMPONENTS], atol=1e-6)
        assert np.all(again[unmapped] == 0.0)


def test_human_distal_flexion_is_ignored_and_returns_as_the_tendon_coupled_value():
    state = np.zeros(51)
    for finger in FINGERS:
        state[6 + 3 * MANO_JOINT_NAMES.index(f"{finger}2") + 1] = 0.6
        state[6 + 3 * MANO_JOINT_NAMES.index(f"{finger}3") + 1] = 0.1
    targets, wrist = human_to_shadow(state)
    assert not any(name.endswith("J0") and name[:2] in ("FF", "MF", "RF", "LF") for name in targets)
    again = shadow_to_human(targets, wrist)
    for finger in FINGERS:
        assert _component(again, f"{finger}3", "y") == pytest.approx(coupled_distal_rad(0.6))


def test_out_of_limit_human_angles_are_clipped_to_the_joint_limits():
    state = np.zeros(51)
    for finger in FINGERS:
        for k in (1, 2):
            state[6 + 3 * MANO_JOINT_NAMES.index(f"{finger}{k}") + 1] = 2.5  # beyond 1.571
        state[6 + 3 * MANO_JOINT_NAMES.index(f"{finger}1") + 2] = -1.0  # beyond -0.349
    state[6 + 3 * MANO_JOINT_NAMES.index("thumb3") + 2] = 0.7  # THJ0 only flexes (<= 0)
    targets, _ = human_to_shadow(state, wrist_joints_rad=(1.0, -2.0))
    for robot in ("FF", "MF", "RF", "LF"):
        assert targets[f"{robot}J2"] == targets[f"{robot}J1"] == 1.571
        assert targets[f"{robot}J3"] == -0.349
    assert targets["THJ0"] == 0.0
    assert (targets["WRJ1"], targets["WRJ0"]) == (0.14, -0.698)
    limits = {j.name: j for j in SHADOW_JOINTS}
    rng = np.random.default_rng(3)
    for _ in range(200):
        wild, _ = human_to_shadow(np.concatenate([[0, 0, 0.5], rng.uniform(-4, 4, 48)]))
        assert all(limits[n].lower_rad <= v <= limits[n].upper_rad for n, v in wild.items())


def _rest_pose():
    """A synthetic right-hand skeleton in the palm frame: palm points, then straight 3 cm bones."""
    rest = np.zeros((21, 3))
    rest[PALM] = [[0, 0, 0], [0.025, 0.025, -0.01], [0.09, 0.025, 0], [0.095, 0, 0], [0.09, -0.02, 0], [0.08, -0.038, 0]]
    for chain in CHAINS:
        direction = rest[chain[0]] / np.linalg.norm(rest[chain[0]])
        for k, landmark in enumerate(chain):
            rest[landmark + 1] = rest[landmark] + 0.03 * direction
    return rest


def _fist(flexion_rad):
    state = np.zeros(51)
    for finger in FINGERS:
        for k in (1, 2, 3):
            state[6 + 3 * MANO_JOINT_NAMES.index(f"{finger}{k}") + 1] = flexion_rad
    return state


def test_positive_human_flexion_curls_the_fingertips_toward_the_palm():
    """Checks the sign convention the table relies on: +y Euler bends toward -z (the palm side)."""
    rest = _rest_pose()
    open_tips, fist_tips = (forward_kinematics(_fist(f), rest)[[8, 12, 16, 20]] for f in (0.0, 1.3))
    palm_centre = rest[PALM].mean(axis=0)
    assert np.all(fist_tips[:, 2] < -0.02)  # the palm faces -z
    assert np.all(np.linalg.norm(fist_tips - palm_centre, axis=1) < np.linalg.norm(open_tips - palm_centre, axis=1) - 0.03)


def test_a_human_fist_maps_near_the_flexion_upper_limits_and_an_open_hand_near_zero():
    fist, _ = human_to_shadow(_fist(1.5))
    open_, _ = human_to_shadow(_fist(0.0))
    for robot in ("FF", "MF", "RF", "LF"):
        for joint in ("J2", "J1"):
            assert fist[robot + joint] > 1.571 - 0.1
            assert open_[robot + joint] == 0.0


def test_commanding_a_mapped_human_fist_closes_the_simulated_fingers(physics_drivers):
    driver = physics_drivers["reach"]
    observation = driver.reset(0)
    start = shadow_to_human(observation.joint_positions_rad, observation.wrist)
    wrj = (observation.joint_positions_rad["WRJ1"], observation.joint_positions_rad["WRJ0"])

    def tip_distances(state):
        targets, wrist = human_to_shadow(state, wrist_joints_rad=wrj)
        for _ in range(15):
            driver.command(targets, wrist)
        palm = driver.sim.site_position(PALM_CENTRE_SITE)
        return np.array([np.linalg.norm(driver.sim.site_position(FINGERTIP_SITES[f]) - palm) for f in ("ff", "mf", "rf", "lf")])

    open_state, fist_state = start.copy(), start.copy()
    open_state[6:], fist_state[6:] = _fist(0.0)[6:], _fist(1.5)[6:]
    opened, closed = tip_distances(open_state), tip_distances(fist_state)
    assert np.all(closed < opened - 0.03), (opened, closed)
    observed = driver.observe().joint_positions_rad
    for robot in ("FF", "MF", "RF", "LF"):  # the tendon holds the passive distal joint near its coupled value
        assert abs(observed[robot + "J0"] - coupled_distal_rad(observed[robot + "J1"])) < 0.2
