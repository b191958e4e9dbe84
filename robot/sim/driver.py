"""`SimHandDriver`: the `HandDriver` interface over one simulated task.

Each `command` applies the targets and advances simulated time by one control period, so a
control loop running at `control_hz` sees the same timing it would on hardware. Poses cross the
interface in the scene camera's frame; `sim` stays available for privileged use (demonstrators,
success tests, evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from robot.drivers.base import DriverError, HandDriver, JointSpec, Observation, WristPose
from robot.sim.camera import HandCamera, SceneCamera
from robot.sim.hand import ShadowHandSim
from robot.sim.render import OffscreenRenderer
from robot.sim.tasks import Task, TaskStart, get_task


class SimHandDriver(HandDriver):
    """The simulated Shadow hand in the scene of `task`; images are `image_size` (width, height) RGB from the
    camera named `view`, by default the task's (`Task.view`): the scene camera or the wrist camera. Poses are in
    the scene camera's frame whichever camera is shown."""

    def __init__(self, task: str | Task, control_hz: float = 10.0, image_size: tuple[int, int] = (224, 224),
                 render: bool = True, view: str | None = None):
        self.task = get_task(task) if isinstance(task, str) else task
        self.control_period_s = 1.0 / control_hz
        self.camera: SceneCamera = self.task.scene.camera
        self._cameras: dict[str, SceneCamera | HandCamera] = {c.name: c for c in (self.camera, self.task.scene.hand_camera)}
        self.image_size = image_size
        self.view = view or self.task.view
        self.camera_fov_deg(self.view)  # an unknown view fails before the scene is built
        self.sim = ShadowHandSim(self.task.scene)
        self._renderer = OffscreenRenderer(self.sim.model, *image_size) if render else None
        self.start: TaskStart = self.task.setup(self.sim, np.random.default_rng(0))

    @property
    def joints(self) -> list[JointSpec]:
        return self.sim.joints

    @property
    def camera_names(self) -> list[str]:
        return [self.view] if self._renderer else []

    def camera_fov_deg(self, camera: str) -> tuple[float, float]:
        """Field of view of a camera of the scene at `image_size`; known even when the driver does not render."""
        if camera not in self._cameras:
            raise DriverError(f"camera {camera!r} is not in the {self.task.name} scene; its cameras are {sorted(self._cameras)}")
        return self._cameras[camera].fov_deg(*self.image_size)

    def reset(self, seed: int) -> Observation:
        self.start = self.task.setup(self.sim, np.random.default_rng(seed))
        return self.observe()

    def observe(self) -> Observation:
        images = {self.view: self._renderer.render(self.sim.data, self.view)} if self._renderer else {}
        positions = dict(zip((j.name for j in self.joints), self.sim.joint_positions().tolist()))
        return Observation(images, positions, self.camera.to_camera(*self.sim.wrist_pose()), self.sim.time_s)

    def command(self, joint_targets_rad: Mapping[str, float], wrist: WristPose) -> None:
        self.sim.set_joint_targets(joint_targets_rad)
        self.sim.set_wrist_target(*self.camera.to_world(wrist))
        self.sim.step(self.control_period_s)

    def success(self) -> bool:
        """Whether the task's success test holds now."""
        return self.task.success(self.sim, self.start)

    def close(self) -> None:
        if self._renderer:
            self._renderer.close()
            self._renderer = None
