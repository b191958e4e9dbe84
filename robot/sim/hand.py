"""Physics of one simulated Shadow hand episode, in world coordinates.

This is the privileged layer: tasks, demonstrators and the driver use it; policies only see the
driver. Joint names drop the MJCF prefix (`robot0:FFJ3` -> `FFJ3`).
"""

from __future__ import annotations

from collections.abc import Mapping

import mujoco
import numpy as np

from robot.drivers.base import JointSpec, UnknownJointError
from robot.sim.scene import (
    HAND_PREFIX,
    MOUNT_BODY,
    OBJECT_BODY,
    TARGET_BODY,
    WRIST_SITE,
    WRIST_TARGET_BODY,
    SceneSpec,
    build_model,
)


def _strip(name: str) -> str:
    return name.removeprefix(HAND_PREFIX)


class ShadowHandSim:
    """MjModel + MjData for one scene, with the wrist and joint targets as the only inputs."""

    def __init__(self, spec: SceneSpec):
        self.spec = spec
        self.model = build_model(spec)
        self.data = mujoco.MjData(self.model)
        m = self.model
        hand_joint_ids = [j for j in range(m.njnt) if m.joint(j).name.startswith(HAND_PREFIX)]
        actuated_joint_ids = [int(m.actuator_trnid[a, 0]) for a in range(m.nu)]
        self.joints = [
            JointSpec(_strip(m.joint(j).name), float(m.jnt_range[j, 0]), float(m.jnt_range[j, 1]), j in actuated_joint_ids)
            for j in hand_joint_ids
        ]
        self._joint_qpos = np.array([m.jnt_qposadr[j] for j in hand_joint_ids])
        self._actuator_index = {_strip(m.joint(j).name): a for a, j in enumerate(actuated_joint_ids)}
        self._actuated_qpos = np.array([m.jnt_qposadr[j] for j in actuated_joint_ids])
        self._base_qpos = m.jnt_qposadr[m.joint("vitra:wrist_base").id]
        self._wrist_site = m.site(WRIST_SITE).id
        self._wrist_mocap = int(m.body(WRIST_TARGET_BODY).mocapid[0])
        self._mount_from_wrist = self._mount_pose_in_wrist_frame()

    @property
    def actuated_names(self) -> list[str]:
        """Actuated joint names in actuator order (the order of `ctrl` and recorded actions)."""
        return list(self._actuator_index)

    def _mount_pose_in_wrist_frame(self) -> tuple[np.ndarray, np.ndarray]:
        """The fixed pose of the mount body in the wrist site's frame, to place the base from a wrist pose."""
        scratch = mujoco.MjData(self.model)
        mujoco.mj_kinematics(self.model, scratch)
        mount = self.model.body(MOUNT_BODY).id
        site_rot = scratch.site_xmat[self._wrist_site].reshape(3, 3)
        offset = site_rot.T @ (scratch.xpos[mount] - scratch.site_xpos[self._wrist_site])
        return offset, site_rot.T @ scratch.xmat[mount].reshape(3, 3)

    # --- episode control -------------------------------------------------------------------------

    def reset(self, wrist_position_m: np.ndarray, wrist_rotation: np.ndarray, joint_targets_rad: Mapping[str, float]) -> None:
        """Start over with the wrist at the given world pose and the hand already at its targets."""
        mujoco.mj_resetData(self.model, self.data)
        offset, rotation = self._mount_from_wrist
        base = self.data.qpos[self._base_qpos : self._base_qpos + 7]
        base[:3] = wrist_position_m + wrist_rotation @ offset
        mujoco.mju_mat2Quat(base[3:], (wrist_rotation @ rotation).reshape(9))
        self.set_wrist_target(wrist_position_m, wrist_rotation)
        self.data.ctrl[:] = np.clip(0.0, *self.model.actuator_ctrlrange.T)
        self.set_joint_targets(joint_targets_rad)
        self.data.qpos[self._actuated_qpos] = self.data.ctrl
        mujoco.mj_forward(self.model, self.data)

    def set_wrist_target(self, position_m: np.ndarray, rotation: np.ndarray) -> None:
        """Move the mocap target the wrist site is welded to (world frame)."""
        self.data.mocap_pos[self._wrist_mocap] = position_m
        mujoco.mju_mat2Quat(self.data.mocap_quat[self._wrist_mocap], np.ascontiguousarray(rotation, dtype=np.float64).reshape(9))

    def set_joint_targets(self, targets_rad: Mapping[str, float]) -> None:
        """Position targets for actuated joints by name, clipped to the actuator range."""
        for name, value in targets_rad.items():
            if name not in self._actuator_index:
                raise UnknownJointError(name, self.actuated_names)
            a = self._actuator_index[name]
            self.data.ctrl[a] = np.clip(value, *self.model.actuator_ctrlrange[a])

    def step(self, duration_s: float) -> None:
        """Advance physics by `duration_s` (rounded to whole timesteps)."""
        mujoco.mj_step(self.model, self.data, nstep=max(1, round(duration_s / self.model.opt.timestep)))

    # --- state -----------------------------------------------------------------------------------

    @property
    def time_s(self) -> float:
        return float(self.data.time)

    def joint_positions(self) -> np.ndarray:
        """(J,) hand joint angles (rad) in `joints` order."""
        return self.data.qpos[self._joint_qpos].copy()

    def joint_targets(self) -> np.ndarray:
        """(A,) current actuator targets (rad) in `actuated_names` order."""
        return self.data.ctrl.copy()

    def wrist_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """World position (3,) and rotation (3, 3) of the wrist site."""
        return self.data.site_xpos[self._wrist_site].copy(), self.data.site_xmat[self._wrist_site].reshape(3, 3).copy()

    def wrist_target(self) -> tuple[np.ndarray, np.ndarray]:
        """World position (3,) and rotation (3, 3) the wrist is being driven to."""
        rotation = np.empty(9)
        mujoco.mju_quat2Mat(rotation, self.data.mocap_quat[self._wrist_mocap])
        return self.data.mocap_pos[self._wrist_mocap].copy(), rotation.reshape(3, 3)

    def site_position(self, name: str) -> np.ndarray:
        return self.data.site(name).xpos.copy()

    def body_pose(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        body = self.data.body(name)
        return body.xpos.copy(), body.xmat.reshape(3, 3).copy()

    # --- scene props -----------------------------------------------------------------------------

    def place_object(self, position_m: np.ndarray, quat_wxyz: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0)) -> None:
        """Put the task object at a world pose, at rest."""
        joint = self.model.joint(OBJECT_BODY)
        self.data.qpos[joint.qposadr[0] : joint.qposadr[0] + 7] = np.concatenate([position_m, quat_wxyz])
        self.data.qvel[joint.dofadr[0] : joint.dofadr[0] + 6] = 0.0
        mujoco.mj_forward(self.model, self.data)

    def object_position(self) -> np.ndarray:
        return self.data.body(OBJECT_BODY).xpos.copy()

    def place_target_marker(self, position_m: np.ndarray) -> None:
        self.data.mocap_pos[self.model.body(TARGET_BODY).mocapid[0]] = position_m
        mujoco.mj_forward(self.model, self.data)
