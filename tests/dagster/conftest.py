"""Fixtures for tests that need the project's own on-disk Dagster instance (as the CLI and the daemon use it)."""

from __future__ import annotations

import os

import pytest
from dagster import DagsterInstance

from vitra_assets.instance import project_instance


@pytest.fixture
def disk_instance(tmp_project, monkeypatch: pytest.MonkeyPatch) -> DagsterInstance:
    """The throwaway project's instance in its DAGSTER_HOME, with the project's settings in the environment,
    so `vitra_assets.definitions.defs` (whose resource reads the environment) and the CLI run against it."""
    env = tmp_project.env
    for name in [n for n in os.environ if n.startswith("VITRA_") and n not in env]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("VITRA_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("VITRA_PROFILE", "default")  # the CLI sets it in-process; restored afterwards
    monkeypatch.setenv("DAGSTER_HOME", tmp_project.overrides["dagster.home"])
    with project_instance(tmp_project.config) as instance:
        yield instance
