"""The simulated Shadow hand: scene, tasks, scripted demonstrators and a `HandDriver` over them.

Rendering is offscreen through EGL (Mesa's software rasteriser on machines without a GPU); both
settings below are defaults an environment variable overrides, and must be set before `mujoco`
is first imported, which is why they live here.
"""

import os
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("MESA_SHADER_CACHE_DIR", str(Path(__file__).resolve().parents[2] / ".vitra" / "mesa_cache"))

from robot.sim.driver import SimHandDriver  # noqa: E402
from robot.sim.recording import EpisodeRecord, record_episode, run_episodes  # noqa: E402
from robot.sim.tasks import TASKS, Task, UnknownTaskError, get_task  # noqa: E402

__all__ = ["TASKS", "EpisodeRecord", "SimHandDriver", "Task", "UnknownTaskError", "get_task", "record_episode", "run_episodes"]
