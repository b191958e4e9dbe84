"""The executor of the Definitions' jobs, chosen by the profile (`dagster.executor`).

`in_process` (the embedded profile's) runs a run's steps one after another in its run worker: a step
pays no process start and no second import of the definitions, which on one machine costs more than the
step itself for most per-video stages (docs/operations.md). A crash that kills the run worker still fails
the run: the code server that launched it marks it failed. `multiprocess` is Dagster's default (a process
per step, steps in parallel). `k8s` runs every step in its own Kubernetes pod with dagster-k8s's
`k8s_job_executor`, configured by `dagster.executor.k8s`; dagster-k8s is imported only then, so it is
needed only in the cluster image.
"""

from __future__ import annotations

import importlib

from dagster import ExecutorDefinition, in_process_executor

from vitra_core.config import VitraConfig
from vitra_core.errors import ConfigError

K8S_MODULE = "dagster_k8s"


def build_executor(cfg: VitraConfig) -> ExecutorDefinition | None:
    """None for Dagster's default (multiprocess) executor; Dagster's in_process_executor; or the configured
    k8s_job_executor for `kind: k8s`."""
    settings = cfg.dagster.executor
    if settings.kind == "multiprocess":
        return None
    if settings.kind == "in_process":
        return in_process_executor
    try:
        k8s = importlib.import_module(K8S_MODULE)
    except ImportError as exc:
        raise ConfigError(f"profile {cfg.profile!r}: dagster.executor.kind 'k8s' needs the package dagster-k8s "
                          f"(pip install dagster-k8s in the cluster image)") from exc
    return k8s.k8s_job_executor.configured(settings.k8s, name="k8s")
