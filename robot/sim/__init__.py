"""The simulated Shadow hand: scene, tasks, scripted demonstrators and a `HandDriver` over them.

Rendering is offscreen through EGL (Mesa's software rasteriser on machines without a GPU); both
settings below are defaults an environment variable overrides, and must be set before `mujoco`
is first imported, which is why they live here.
"""

import os
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("MESA_SHADER_CACHE_DIR", str(Path(__file__).resolve().parents[2] / ".vitra" / "mesa_cache"))

from vitra_core.lazy import lazy_exports  # noqa: E402

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "driver": ["SimHandDriver"],
    "recording": ["EpisodeRecord", "record_episode", "run_episodes"],
    "tasks": ["TASKS", "Task", "UnknownTaskError", "get_task"],
})
