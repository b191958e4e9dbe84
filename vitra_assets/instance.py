"""The project's Dagster instance: DAGSTER_HOME from the config, with a `dagster.yaml` written for it."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from dagster import DagsterInstance

from vitra_core.config import VitraConfig
from vitra_core.fsutil import copy_atomic, write_text_atomic


def dagster_yaml(cfg: VitraConfig) -> dict:
    """Instance settings: telemetry off (no network), bounded concurrency, storage by profile."""
    settings: dict = {
        "telemetry": {"enabled": False},
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"max_concurrent_runs": cfg.dagster.max_concurrent_runs},
        },
    }
    if cfg.dagster.storage == "postgres":
        settings["storage"] = {"postgres": {"postgres_url": cfg.dagster.postgres_url}}
    return settings


def ensure_dagster_home(cfg: VitraConfig) -> Path:
    """Create DAGSTER_HOME with its `dagster.yaml` and export it for this process and its children.

    With `dagster.instance_yaml` set, that file is the instance's: a dagster.yaml already in home (a
    mounted ConfigMap, read-only) is left alone, a missing one is copied from it; nothing is generated.
    """
    home = cfg.resolve(cfg.dagster.home)
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if cfg.dagster.instance_yaml:
        if not target.exists():
            copy_atomic(cfg.resolve(cfg.dagster.instance_yaml), target)
    else:
        text = yaml.safe_dump(dagster_yaml(cfg), sort_keys=False)
        if not target.exists() or target.read_text() != text:
            write_text_atomic(target, text)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def project_instance(cfg: VitraConfig) -> DagsterInstance:
    ensure_dagster_home(cfg)
    return DagsterInstance.get()
