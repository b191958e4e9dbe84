"""Shared fixtures: the real sample clips, and a throwaway project (DVC repo, data root, Dagster home)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from vitra_core.config import VitraConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("VITRA_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"sample data not found at {SHARED_DATA} (set VITRA_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def no_hands_clip(shared_data: Path, tmp_path_factory) -> Path:
    """A real clip with no hands in view: the top-left corner (stove, recipe card) of the Ego4D cooking clip."""
    out = tmp_path_factory.mktemp("no_hands") / "stove_corner.mp4"
    source = shared_data / "lavila" / "ego4d_3c0dffd0_012_014.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(source), "-vf", "crop=160:112:0:0", "-an", str(out)], check=True)
    return out


@dataclass
class TmpProject:
    """A project whose data, DVC repo and remote, and DAGSTER_HOME all live under one temp folder."""

    root: Path
    overrides: dict[str, str]

    @property
    def config(self) -> VitraConfig:
        return load_config("default", REPO_ROOT / "configs", self.overrides, environ={})

    @property
    def env(self) -> dict[str, str]:
        """The same settings as environment variables, for subprocesses (CLI, dagster dev)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("VITRA_")}
        env.update({"VITRA_" + key.upper().replace(".", "__"): value for key, value in self.overrides.items()})
        env["VITRA_CONFIG_DIR"] = str(REPO_ROOT / "configs")
        return env

    def resource(self):
        from vitra_assets.resources import VitraConfigResource

        return VitraConfigResource(profile="default", config_dir=str(REPO_ROOT / "configs"), overrides=self.overrides)


@pytest.fixture
def tmp_project(tmp_path: Path) -> TmpProject:
    root = tmp_path / "project"
    root.mkdir()
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=root, check=True)
    shutil.copy(REPO_ROOT / "dvc.yaml", root / "dvc.yaml")  # the corpus-level stages, as in the project
    overrides = {
        "paths.data_root": str(root / "data"),
        "paths.inbox": str(root / "data" / "inbox"),
        "dvc.repo_root": str(root),
        "dvc.remote_url": str(tmp_path / "dvc-remote"),
        "dagster.home": str(tmp_path / "dagster_home"),
        "inbox.settle_s": "0",
        "paths.log_file": str(root / ".vitra" / "logs" / "vitra.log"),  # the CLI's library output, not the repo's
    }
    return TmpProject(root, overrides)
