"""The model, the camera convention and offscreen rendering."""

import numpy as np
import pytest

from robot.drivers.base import WristPose
from robot.sim.camera import SCENE_CAMERA
from robot.sim.scene import PALM_CENTRE_SITE, SceneSpec, build_model


def test_shadow_hand_loads_with_24_joints_20_actuators_and_mjcf_limits(reach_driver):
    joints = {j.name: j for j in reach_driver.joints}
    assert len(joints) == 24 and len(reach_driver.actuated_joints) == 20
    assert (joints["FFJ3"].lower_rad, joints["FFJ3"].upper_rad) == pytest.approx((-0.349, 0.349))
    assert (joints["THJ0"].lower_rad, joints["THJ0"].upper_rad) == pytest.approx((-1.571, 0.0))
    assert not joints["FFJ0"].actuated and joints["FFJ1"].actuated
    model = build_model(SceneSpec())
    assert model.nmocap == 1 and model.neq == 1 and model.nu == 20


def test_scene_camera_renders_a_non_blank_rgb_image_of_the_requested_size(reach_driver):
    reach_driver.reset(0)
    image = reach_driver.observe().images["scene"]
    assert image.shape == (224, 224, 3) and image.dtype == np.uint8
    assert image.std() > 20
    u, v = reach_driver.camera.project(reach_driver.sim.site_position(PALM_CENTRE_SITE), 224, 224).round().astype(int)
    assert image[v - 3 : v + 4, u - 3 : u + 4].mean() > 150  # the white hand is where the camera model says


def test_camera_frame_is_x_right_y_down_z_forward():
    cam = SCENE_CAMERA
    ahead = cam.position_world_m + cam.rotation_world_cam[:, 2] * 0.5
    right = ahead + cam.rotation_world_cam[:, 0] * 0.05
    below = ahead + np.array([0.0, 0.0, -0.05])
    u0, v0 = cam.project(ahead, 224, 224)
    assert (u0, v0) == pytest.approx((112, 112))
    assert cam.project(right, 224, 224)[0] > u0  # +x is image right
    assert cam.project(below, 224, 224)[1] > v0  # world down is image down
    assert cam.rotation_world_cam[:, 1] @ np.array([0.0, 0.0, -1.0]) > 0  # camera y points downward-ish


def test_world_and_camera_poses_round_trip():
    rotation = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    pose = SCENE_CAMERA.to_camera(np.array([0.1, 0.2, 0.3]), rotation)
    position, back = SCENE_CAMERA.to_world(pose)
    assert position == pytest.approx([0.1, 0.2, 0.3])
    assert back == pytest.approx(rotation)
    assert isinstance(pose, WristPose) and pose.position_m[2] > 0  # the point is in front of the camera
