"""Fixtures for the simulated hand: one driver per task scene, reused across tests (a GL context is costly)."""

import os

os.environ.setdefault("MUJOCO_GL", "egl")  # before anything imports mujoco

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from robot.sim.driver import SimHandDriver  # noqa: E402


@pytest.fixture(scope="session")
def reach_driver() -> Iterator[SimHandDriver]:
    """The reach scene (no object, so the hand moves in free air), rendering 224 x 224 images from the scene camera."""
    with SimHandDriver("reach", view="scene") as driver:
        yield driver


@pytest.fixture(scope="session")
def physics_drivers() -> Iterator[dict[str, SimHandDriver]]:
    """A non-rendering driver per task, for tests about physics and success."""
    from robot.sim.tasks import TASKS

    drivers = {name: SimHandDriver(name, render=False) for name in TASKS}
    yield drivers
    for driver in drivers.values():
        driver.close()
