"""Controller configs for tests; the process itself is robot.controller.process.ControllerProcess."""

from __future__ import annotations

from pathlib import Path

import yaml

from robot.controller.process import REPO_ROOT, ControllerProcess, free_port  # noqa: F401  (re-exported for tests)

TOKEN_ENV = "VITRA_TEST_CONTROLLER_TOKEN"


def write_config(folder: Path, public_key: Path, **sections: dict) -> Path:
    """A controller YAML in `folder` with its store there, trusting `public_key`; `sections` update its parts."""
    config = {
        "token_env": TOKEN_ENV,
        "driver": {"task": "palm_ball", "seed": 0},
        "loop": {"rate_hz": 30, "policy_hz": 10, "execute_steps": 4},
        "deploy": {"trusted_keys": [str(public_key)], "store_dir": str(folder / "store"), "keep_bundles": 3,
                   "max_bundle_bytes": 1_000_000, "smoke_latency_budget_s": 10.0},
    }
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}
    path = folder / "controller.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def controller_process(config_path: Path, token: str, module: str = "robot.cli") -> ControllerProcess:
    """A controller reading its token from TOKEN_ENV, run as `python -m <module> controller serve`."""
    return ControllerProcess(config_path, token, TOKEN_ENV, module=module)
