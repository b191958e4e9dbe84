"""The wrist camera: fixed to the forearm, it sees the reach target around the fingertip."""

import math

import mujoco
import numpy as np
import pytest

from robot.drivers.base import DriverError
from robot.sim import SimHandDriver
from robot.sim.camera import WRIST_CAMERA

TARGET_GREEN = np.array([0.1, 0.8, 0.2]) * 255


def _wrist_pixel(driver: SimHandDriver, point_world_m: np.ndarray) -> np.ndarray:
    """(u, v) of a world point in the wrist camera's image, from MuJoCo's pose of the camera (looking along -z)."""
    camera = mujoco.mj_name2id(driver.sim.model, mujoco.mjtObj.mjOBJ_CAMERA, WRIST_CAMERA.name)
    rotation = driver.sim.data.cam_xmat[camera].reshape(3, 3)
    x, y, z = rotation.T @ (point_world_m - driver.sim.data.cam_xpos[camera])
    assert z < 0, "behind the camera"
    width, height = driver.image_size
    focal = height / (2 * math.tan(math.radians(WRIST_CAMERA.fovy_deg) / 2))
    return np.array([width / 2 + focal * x / -z, height / 2 - focal * y / -z])


@pytest.fixture(scope="module")
def wrist_driver():
    with SimHandDriver("reach", view="wrist") as driver:
        yield driver


def test_the_wrist_view_shows_the_target_where_the_mount_geometry_puts_it(wrist_driver):
    for seed in range(5):
        image = wrist_driver.reset(seed).images["wrist"]
        u, v = _wrist_pixel(wrist_driver, wrist_driver.start["target_m"]).round().astype(int)
        patch = image[v - 1 : v + 2, u - 1 : u + 2].reshape(-1, 3).astype(float)
        assert np.abs(patch - TARGET_GREEN).max(axis=1).min() < 60, seed  # the green dot, not the grey room


def test_every_reach_target_the_task_draws_is_in_the_wrist_view():
    """The camera is placed so the policy can see any target: the centre of each of 100 seeds' targets lands
    inside the image, in front of the camera."""
    with SimHandDriver("reach", view="wrist", render=False) as driver:
        width, height = driver.image_size
        for seed in range(100):
            driver.reset(seed)
            u, v = _wrist_pixel(driver, driver.start["target_m"])
            assert 0 < u < width and 0 < v < height, (seed, u, v)


def test_reach_shows_the_wrist_view_by_default_and_the_view_changes_the_image_not_the_poses():
    with SimHandDriver("reach") as wrist, SimHandDriver("reach", view="scene") as scene:
        a, b = wrist.reset(3), scene.reset(3)
        assert list(a.images) == ["wrist"] and list(b.images) == ["scene"]
        np.testing.assert_array_equal(a.wrist.as_array(), b.wrist.as_array())
        assert wrist.camera_fov_deg("wrist") == pytest.approx((80.0, 80.0))
        assert not np.array_equal(a.images["wrist"], b.images["scene"])


def test_an_unknown_view_is_refused_with_the_cameras_the_scene_has():
    with pytest.raises(DriverError, match=r"'top'.*\['scene', 'wrist'\]"):
        SimHandDriver("reach", view="top", render=False)
