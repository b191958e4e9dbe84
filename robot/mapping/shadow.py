"""The Shadow hand's joints <-> VITRA's 51-number human hand state (as VITRA's `transfer_xhand_to_human`).

Fine-tuning on robot data reuses the pretrained action semantics only if robot states and actions
live in the human space, so every robot joint is written into the MANO-layout Euler angle it moves
like, and read back from it. The same function maps an observed pose (a state) and a commanded one
(an action: joint and wrist targets), and `human_to_shadow` of an action row gives the command back. The mapping is linear and per joint (`JOINT_TABLE`), pure numpy (no
MuJoCo), for the right-handed Shadow hand of `robot.sim` (gymnasium-robotics' MJCF).

Human side (`vitra_core.hands`): joint rotations are local, Euler "xyz" in the palm frame (x wrist ->
middle knuckle, y toward the thumb on a right hand, z out of the back of the hand); +y bends a finger
toward the palm (flexion), z swings it in the palm plane (abduction, + toward the thumb), x rolls it
(twist, unobservable from landmarks, so 0 in video-derived states).
Robot side: the hand frame has fingers along +z, the palm facing -y, the thumb on +x; every finger
joint's axis at the zero pose, written in palm-frame axes, picks the human component it maps to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from robot.drivers.base import DriverError, JointSpec, WristPose
from vitra_core.hands.kinematics import euler_to_matrix, matrix_to_euler
from vitra_core.hands.skeleton import MANO_JOINT_NAMES, STATE_SIZE

# Every joint `SimHandDriver.joints` reports, in its order, limits (rad) from the MJCF (`robot.xml`).
# tests/robot/test_mapping.py checks this copy against the loaded model.
SHADOW_JOINTS: tuple[JointSpec, ...] = tuple(
    JointSpec(name, lower, upper, actuated)
    for name, lower, upper, actuated in (
        ("WRJ1", -0.489, 0.14, True), ("WRJ0", -0.698, 0.489, True),
        ("FFJ3", -0.349, 0.349, True), ("FFJ2", 0.0, 1.571, True), ("FFJ1", 0.0, 1.571, True), ("FFJ0", 0.0, 1.571, False),
        ("MFJ3", -0.349, 0.349, True), ("MFJ2", 0.0, 1.571, True), ("MFJ1", 0.0, 1.571, True), ("MFJ0", 0.0, 1.571, False),
        ("RFJ3", -0.349, 0.349, True), ("RFJ2", 0.0, 1.571, True), ("RFJ1", 0.0, 1.571, True), ("RFJ0", 0.0, 1.571, False),
        ("LFJ4", 0.0, 0.785, True),
        ("LFJ3", -0.349, 0.349, True), ("LFJ2", 0.0, 1.571, True), ("LFJ1", 0.0, 1.571, True), ("LFJ0", 0.0, 1.571, False),
        ("THJ4", -1.047, 1.047, True), ("THJ3", 0.0, 1.222, True), ("THJ2", -0.209, 0.209, True),
        ("THJ1", -0.524, 0.524, True), ("THJ0", -1.571, 0.0, True),
    )
)
JOINT_NAMES: tuple[str, ...] = tuple(j.name for j in SHADOW_JOINTS)
ACTUATED_NAMES: tuple[str, ...] = tuple(j.name for j in SHADOW_JOINTS if j.actuated)
_SPECS = {j.name: j for j in SHADOW_JOINTS}

# The distal joints J0 follow J1 through a fixed tendon (`T_xxJ1c`: 0.00705 J0 - 0.00805 J1 within
# +-0.001), i.e. J0 = 1.1418 J1 +- 0.14 rad, capped by J0's own range.
DISTAL_COUPLING = 0.00805 / 0.00705
COUPLED_DISTAL = {"FFJ0": "FFJ1", "MFJ0": "MFJ1", "RFJ0": "RFJ1", "LFJ0": "LFJ1"}

_X, _Y, _Z = 0, 1, 2
_S = float(np.sqrt(0.5))


@dataclass(frozen=True)
class JointMap:
    """Robot joint `robot` moves human joint `human` along `weights` over its (x, y, z) Euler angles.

    human angles += q * weights on the way out; q = weights . angles on the way in. Rows sharing a
    human joint have orthonormal weights, so the two directions invert each other.
    """

    robot: str
    human: str
    weights: tuple[float, float, float]
    motion: str


def _axis(index: int, sign: float = 1.0) -> tuple[float, float, float]:
    weights = [0.0, 0.0, 0.0]
    weights[index] = sign
    return tuple(weights)


# Finger axes at the zero pose: J3 about hand +y (= palm z, abduction), J2/J1/J0 about hand +x (= palm
# y, flexion); both senses agree (+J2 curls toward the palm, +J3 swings toward the thumb).
# LFJ4 (axis 0.571 x + 0.821 z in the hand frame = 0.821 palm x + 0.571 palm y) is mostly a roll of
# the little finger's metacarpal: pinky1's twist. The thumb base sits 45 degrees off the palm axes:
# THJ4 rolls about the thumb (palm -(x + y)/sqrt 2), THJ3 and THJ2 flex it toward the palm (palm
# (-x + y)/sqrt 2), THJ1 and THJ0 about hand +y (palm z; THJ0 < 0 curls the tip across the palm).
JOINT_TABLE: tuple[JointMap, ...] = (
    *(
        row
        for robot, human in (("FF", "index"), ("MF", "middle"), ("RF", "ring"), ("LF", "pinky"))
        for row in (
            JointMap(f"{robot}J3", f"{human}1", _axis(_Z), "abduction (MCP)"),
            JointMap(f"{robot}J2", f"{human}1", _axis(_Y), "flexion (MCP)"),
            JointMap(f"{robot}J1", f"{human}2", _axis(_Y), "flexion (PIP)"),
            JointMap(f"{robot}J0", f"{human}3", _axis(_Y), "flexion (DIP), passive: coupled to J1"),
        )
    ),
    JointMap("LFJ4", "pinky1", _axis(_X), "metacarpal roll (twist)"),
    JointMap("THJ4", "thumb1", (-_S, -_S, 0.0), "thumb base roll (opposition)"),
    JointMap("THJ3", "thumb1", (-_S, _S, 0.0), "thumb base flexion toward the palm"),
    JointMap("THJ2", "thumb2", _axis(_Y), "thumb MCP flexion toward the palm (small)"),
    JointMap("THJ1", "thumb2", _axis(_Z), "thumb MCP flexion across the palm"),
    JointMap("THJ0", "thumb3", _axis(_Z), "thumb IP flexion across the palm (negative curls)"),
)


def _state_index(human: str) -> int:
    return 6 + 3 * MANO_JOINT_NAMES.index(human)


_ROWS = {row.robot: (_state_index(row.human), np.array(row.weights)) for row in JOINT_TABLE}


def _mask(names: tuple[str, ...] | list[str]) -> np.ndarray:
    mask = np.zeros(STATE_SIZE, dtype=bool)
    for name in names:
        start, weights = _ROWS[name]
        mask[start : start + 3] |= weights != 0
    return mask


# Components of the 51-number state that drive a commandable joint (plus the 6 wrist numbers), and
# those only written from the passive distal joints. All others are 0 on the way in, ignored on the way out.
COMMANDED_COMPONENTS = _mask([n for n in ACTUATED_NAMES if n in _ROWS])
COMMANDED_COMPONENTS[:6] = True
COUPLED_COMPONENTS = _mask(list(COUPLED_DISTAL))

# Fixed rotation of the human palm frame in the Shadow palm body frame (columns = palm x, y, z). x
# points from the wrist point (WRJ1 axis) to the middle knuckle, y along the little -> index knuckle
# line: the knuckle positions of robot.xml at the zero pose, in the wrist body's frame (metres).
_WRIST_TO_MIDDLE_KNUCKLE_M = np.array([0.011, 0.0, 0.034 + 0.099])
_LITTLE_TO_INDEX_KNUCKLE_M = np.array([0.033, 0.0, 0.095]) - np.array([-0.034, 0.0, 0.088])


def _palm_offset() -> np.ndarray:
    x = _WRIST_TO_MIDDLE_KNUCKLE_M / np.linalg.norm(_WRIST_TO_MIDDLE_KNUCKLE_M)
    y = _LITTLE_TO_INDEX_KNUCKLE_M - (_LITTLE_TO_INDEX_KNUCKLE_M @ x) * x
    y /= np.linalg.norm(y)
    return np.column_stack([x, y, np.cross(x, y)])


# About (z, x, y) of the hand frame, turned 4.7 degrees about the back-of-hand axis toward the thumb.
PALM_IN_HAND = _palm_offset()


def _rot_x(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_y(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _wrist_joints(wrj1: float, wrj0: float) -> np.ndarray:
    """Rotation of the Shadow palm body in the forearm (wrist site) frame: WRJ1 about y, then WRJ0 about x."""
    return _rot_y(wrj1) @ _rot_x(wrj0)


def coupled_distal_rad(j1_rad: float) -> float:
    """Where the tendon holds a distal joint J0 for its J1 at rest (the middle of its +-0.14 rad slack)."""
    return float(np.clip(DISTAL_COUPLING * j1_rad, 0.0, 1.571))


def _as_positions(joint_positions_rad: Mapping[str, float] | np.ndarray) -> dict[str, float]:
    if isinstance(joint_positions_rad, Mapping):
        positions = {str(k): float(v) for k, v in joint_positions_rad.items()}
        unknown = sorted(set(positions) - set(JOINT_NAMES))
        if unknown:
            raise DriverError(f"joint positions name unknown joints {unknown}; known: {', '.join(JOINT_NAMES)}")
    else:
        values = np.asarray(joint_positions_rad, dtype=np.float64)
        if values.shape not in ((len(JOINT_NAMES),), (len(ACTUATED_NAMES),)):
            raise DriverError(
                f"joint positions array has shape {values.shape}; expected ({len(JOINT_NAMES)},) in "
                f"SimHandDriver.joints order or ({len(ACTUATED_NAMES)},) in actuated order"
            )
        names = JOINT_NAMES if len(values) == len(JOINT_NAMES) else ACTUATED_NAMES
        positions = dict(zip(names, values.tolist()))
    missing = [n for n in ACTUATED_NAMES if n not in positions]
    if missing:
        raise DriverError(f"joint positions lack actuated joints {missing}")
    for distal, j1 in COUPLED_DISTAL.items():
        positions.setdefault(distal, coupled_distal_rad(positions[j1]))
    return positions


def shadow_to_human(joint_positions_rad: Mapping[str, float] | np.ndarray, wrist: WristPose) -> np.ndarray:
    """(51,) human hand state of a Shadow hand configuration.

    joint_positions_rad: name -> rad, or an array in `SimHandDriver.joints` (24) or actuated (20)
    order; passive distal joints left out take their coupled value. wrist: the forearm's wrist site
    pose in the camera frame (`Observation.wrist`). The state's wrist rotation is the palm's, so WRJ1
    and WRJ0 end up there; human angles without a robot joint are 0.
    """
    positions = _as_positions(joint_positions_rad)
    state = np.zeros(STATE_SIZE)
    state[:3] = wrist.position_m
    palm = wrist.rotation @ _wrist_joints(positions["WRJ1"], positions["WRJ0"]) @ PALM_IN_HAND
    state[3:6] = matrix_to_euler(palm)
    for name, (start, weights) in _ROWS.items():
        state[start : start + 3] += positions[name] * weights
    return state


def human_to_shadow(
    state: np.ndarray, wrist_joints_rad: tuple[float, float] = (0.0, 0.0)
) -> tuple[dict[str, float], WristPose]:
    """Joint targets (actuated joints, rad, clipped to their limits) and the wrist pose for a (51,) state.

    The palm pose fixes forearm pose and WRJ1, WRJ0 only together; `wrist_joints_rad` (WRJ1, WRJ0),
    clipped, chooses the split (default 0: the 6-DoF base carries the whole rotation; pass the
    robot's current values to keep them). Distal flexion (index3, ...) is ignored: the tendon sets J0.
    """
    state = np.asarray(state, dtype=np.float64)
    if state.shape != (STATE_SIZE,) or not np.all(np.isfinite(state)):
        raise DriverError(f"human state must be {STATE_SIZE} finite numbers, got shape {state.shape}")
    wrj1, wrj0 = _SPECS["WRJ1"].clip(wrist_joints_rad[0]), _SPECS["WRJ0"].clip(wrist_joints_rad[1])
    targets = {"WRJ1": wrj1, "WRJ0": wrj0}
    for name in ACTUATED_NAMES:
        if name in _ROWS:
            start, weights = _ROWS[name]
            targets[name] = _SPECS[name].clip(float(weights @ state[start : start + 3]))
    palm = euler_to_matrix(state[3:6])
    forearm = palm @ PALM_IN_HAND.T @ _wrist_joints(wrj1, wrj0).T
    return {name: targets[name] for name in ACTUATED_NAMES}, WristPose.from_rotation(state[:3].copy(), forearm)
