"""The safety filter every command passes through on its way from a policy to a hand.

A policy's output is untrusted: it may be NaN, infinite, huge, or jump across the joint range in one
step, and it may stop arriving. The filter turns whatever it is given into a command that is within
the joints' limits, moves no joint faster than `max_joint_velocity_rad_s` and the wrist no faster
than `max_wrist_speed_m_s` / `max_wrist_angular_speed_rad_s`, keeps the wrist inside a box in the
camera frame, and holds the last safe command when an action is not finite or is too old (watchdog).
It works on plain arrays, so it is testable without a driver or a policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.spatial.transform import Rotation

from robot.drivers.base import JointSpec, WristPose
from robot.policy_adapter import HandCommand

# Why a command was changed; each is a label of the controller's safety-intervention counter.
INVALID_VALUE = "invalid_value"  # NaN, inf or a zero quaternion: the whole command is replaced by a hold
JOINT_LIMIT = "joint_limit"  # a target beyond a joint's range (huge values end here) was clipped
JOINT_VELOCITY = "joint_velocity"  # a joint target moved further than max_joint_velocity_rad_s allows
WORKSPACE = "workspace"  # the wrist position was clipped into the workspace box
WRIST_SPEED = "wrist_speed"  # the wrist moved further than max_wrist_speed_m_s allows
WRIST_ROTATION_SPEED = "wrist_rotation_speed"  # the wrist turned faster than max_wrist_angular_speed_rad_s
WATCHDOG = "watchdog"  # no action planned within watchdog_timeout_s: hold
REASONS = (INVALID_VALUE, JOINT_LIMIT, JOINT_VELOCITY, WORKSPACE, WRIST_SPEED, WRIST_ROTATION_SPEED, WATCHDOG)

_MIN_QUAT_NORM = 1e-6


class SafetySettings(BaseModel):
    """Limits beyond the joints' own ranges (those come from the driver's `JointSpec`s).

    Defaults are ~1.5x what the scripted demonstrators of `robot.sim` use (joints up to 2.2 rad/s,
    wrist up to 0.3 m/s) and a box around every wrist position they reach, in the camera frame.
    """

    model_config = ConfigDict(extra="forbid")

    max_joint_velocity_rad_s: float = Field(3.0, gt=0)
    max_wrist_speed_m_s: float = Field(0.5, gt=0)
    max_wrist_angular_speed_rad_s: float = Field(3.0, gt=0)
    workspace_min_m: tuple[float, float, float] = (-0.35, -0.3, 0.45)
    workspace_max_m: tuple[float, float, float] = (0.25, 0.3, 1.0)
    watchdog_timeout_s: float = Field(1.0, gt=0, description="hold when the action to execute was planned longer ago")

    @model_validator(mode="after")
    def _box_is_not_empty(self) -> SafetySettings:
        if any(lo >= hi for lo, hi in zip(self.workspace_min_m, self.workspace_max_m)):
            raise ValueError(f"workspace_min_m {self.workspace_min_m} must be below workspace_max_m {self.workspace_max_m}")
        return self


@dataclass(frozen=True)
class CommandArrays:
    """One command as arrays: joint_targets_rad (J,) in the filter's joint order, wrist_position_m (3,),
    wrist_quat_wxyz (4,). Unlike `HandCommand` (whose `WristPose` must be finite) it may hold anything
    a policy produced, NaN and inf included, until it has been filtered."""

    joint_targets_rad: np.ndarray
    wrist_position_m: np.ndarray
    wrist_quat_wxyz: np.ndarray

    @classmethod
    def from_pose(cls, joint_names: Sequence[str], joint_positions_rad: Mapping[str, float],
                  wrist: WristPose) -> CommandArrays:
        """From joint angles by name (targets or observed positions; every name in `joint_names`) and a wrist pose."""
        joints = np.array([joint_positions_rad[name] for name in joint_names], dtype=np.float64)
        return cls(joints, wrist.position_m.copy(), wrist.quat_wxyz.copy())

    @classmethod
    def from_command(cls, joint_names: Sequence[str], command: HandCommand) -> CommandArrays:
        return cls.from_pose(joint_names, command.joint_targets_rad, command.wrist)

    def to_command(self, joint_names: Sequence[str]) -> HandCommand:
        """What `HandDriver.command` takes; only for filtered (finite) commands."""
        targets = dict(zip(joint_names, self.joint_targets_rad.tolist()))
        return HandCommand(targets, WristPose(self.wrist_position_m, self.wrist_quat_wxyz))

    def is_valid(self) -> bool:
        values = np.concatenate([self.joint_targets_rad, self.wrist_position_m, self.wrist_quat_wxyz])
        quat_norm = float(np.linalg.norm(self.wrist_quat_wxyz))  # inf for huge components: not normalisable
        return bool(np.all(np.isfinite(values))) and np.isfinite(quat_norm) and quat_norm > _MIN_QUAT_NORM


@dataclass(frozen=True)
class FilterResult:
    """The command to send and why it differs from the proposal (empty: sent unchanged)."""

    command: CommandArrays
    interventions: tuple[str, ...]


def _step_limited(last: np.ndarray, target: np.ndarray, max_step: float) -> tuple[np.ndarray, bool]:
    """`target` moved toward `last` so that no element changes by more than `max_step`."""
    limited = last + np.clip(target - last, -max_step, max_step)
    return limited, bool(np.any(limited != target))


class SafetyFilter:
    """Stateful: velocity limits are relative to the previous safe command, which is also what a hold sends.

    joints: the actuated joints, in the order of `CommandArrays.joint_targets_rad`; period_s: the
    control period, so per-step limits are `max_*_speed * period_s` (a late tick moves less, never more).
    """

    def __init__(self, joints: Sequence[JointSpec], settings: SafetySettings, period_s: float):
        self.joint_names = [joint.name for joint in joints]
        self.settings = settings
        self._lower_rad = np.array([joint.lower_rad for joint in joints])
        self._upper_rad = np.array([joint.upper_rad for joint in joints])
        self._max_joint_step_rad = settings.max_joint_velocity_rad_s * period_s
        self._max_wrist_step_m = settings.max_wrist_speed_m_s * period_s
        self._max_wrist_turn_rad = settings.max_wrist_angular_speed_rad_s * period_s
        self._box_min_m = np.array(settings.workspace_min_m)
        self._box_max_m = np.array(settings.workspace_max_m)
        self._last: CommandArrays | None = None

    def reset(self, current: CommandArrays) -> None:
        """Start from the hand's current pose; joints are clipped into their limits, the wrist is kept
        where it is (even outside the box: filtered commands then bring it in at the speed limits)."""
        if not current.is_valid():
            raise ValueError(f"cannot start the safety filter from a non-finite pose {current}")
        joints = np.clip(current.joint_targets_rad, self._lower_rad, self._upper_rad)
        quat = current.wrist_quat_wxyz / np.linalg.norm(current.wrist_quat_wxyz)
        self._last = CommandArrays(joints, current.wrist_position_m.astype(np.float64), quat)

    def hold(self) -> CommandArrays:
        """The last safe command: sending it again keeps the hand where it was told to be."""
        if self._last is None:
            raise RuntimeError("SafetyFilter.reset must be called with the hand's pose before the first command")
        return self._last

    def apply(self, proposed: CommandArrays | None, planned_at_s: float | None, now_s: float) -> FilterResult:
        """Filter one proposal planned (observed) at `planned_at_s`, on the same monotonic clock as `now_s`.

        `proposed` None means the policy has nothing to execute yet; `planned_at_s` then says since when
        it has been waiting. Anything older than `watchdog_timeout_s` (or with no time at all) holds
        and counts as a watchdog intervention; nothing yet, within the timeout, holds quietly; a
        non-finite proposal holds (invalid_value); otherwise joints are clipped to their limits then
        step-limited, the wrist clipped into the box then step- and turn-limited.
        """
        last = self.hold()
        if planned_at_s is None or now_s - planned_at_s > self.settings.watchdog_timeout_s:
            return FilterResult(last, (WATCHDOG,))
        if proposed is None:
            return FilterResult(last, ())
        if not proposed.is_valid():
            return FilterResult(last, (INVALID_VALUE,))
        reasons: list[str] = []
        joints = np.clip(proposed.joint_targets_rad, self._lower_rad, self._upper_rad)
        if np.any(joints != proposed.joint_targets_rad):
            reasons.append(JOINT_LIMIT)
        joints, limited = _step_limited(last.joint_targets_rad, joints, self._max_joint_step_rad)
        if limited:
            reasons.append(JOINT_VELOCITY)
        position = np.clip(proposed.wrist_position_m, self._box_min_m, self._box_max_m)
        if np.any(position != proposed.wrist_position_m):
            reasons.append(WORKSPACE)
        position, moved_too_far = self._limit_wrist_step(last.wrist_position_m, position)
        if moved_too_far:
            reasons.append(WRIST_SPEED)
        quat, turned_too_far = self._limit_wrist_turn(last.wrist_quat_wxyz, proposed.wrist_quat_wxyz)
        if turned_too_far:
            reasons.append(WRIST_ROTATION_SPEED)
        self._last = CommandArrays(joints, position, quat)
        return FilterResult(self._last, tuple(reasons))

    def _limit_wrist_step(self, last_m: np.ndarray, target_m: np.ndarray) -> tuple[np.ndarray, bool]:
        step = target_m - last_m
        distance = float(np.linalg.norm(step))
        if distance <= self._max_wrist_step_m:
            return target_m, False
        return last_m + step * (self._max_wrist_step_m / distance), True

    def _limit_wrist_turn(self, last_wxyz: np.ndarray, target_wxyz: np.ndarray) -> tuple[np.ndarray, bool]:
        last = Rotation.from_quat(last_wxyz, scalar_first=True)
        target = Rotation.from_quat(target_wxyz / np.linalg.norm(target_wxyz), scalar_first=True)
        turn = last.inv() * target
        angle = float(turn.magnitude())
        if angle <= self._max_wrist_turn_rad:
            return target.as_quat(scalar_first=True), False
        limited = last * Rotation.from_rotvec(turn.as_rotvec() * (self._max_wrist_turn_rad / angle))
        return limited.as_quat(scalar_first=True), True
