"""Launch `python -m vitra_core.training` under `torchrun` from an asset, through Dagster Pipes.

The same command line runs on every node of a multi-node job (c10d rendezvous at node 0's
`rdzv_endpoint`; torchrun assigns ranks), so a Kubernetes Job with `nnodes` pods, or `nnodes`
machines started by hand, each run exactly `torchrun_command(...)`. From a Dagster asset the
local node is started with `PipesSubprocessClient`: its stdout and stderr land in the step's
compute logs (visible in the UI) and a non-zero exit fails the step.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster import AssetExecutionContext, PipesClientCompletedInvocation, PipesSubprocessClient
from pydantic import BaseModel, ConfigDict

from vitra_core.config import TorchrunConfig

TRAINING_MODULE = "vitra_core.training"


class TrainingArgs(BaseModel):
    """The training module's own arguments (`python -m vitra_core.training --help`)."""

    model_config = ConfigDict(extra="forbid")

    size: str
    train_config: Path
    dataset: Path
    out: Path


def torchrun_executable() -> list[str]:
    """`torchrun` beside this interpreter (a venv not on PATH), else the module form of the same tool."""
    found = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "torch.distributed.run"]


def torchrun_command(launch: TorchrunConfig, args: TrainingArgs, rdzv_id: str) -> list[str]:
    """The command every node runs; `rdzv_id` must be the same on all nodes of one job (e.g. the Dagster run id)."""
    return [
        *torchrun_executable(),
        "--nnodes", str(launch.nnodes),
        "--nproc_per_node", str(launch.nproc_per_node),
        "--rdzv_backend", "c10d",
        "--rdzv_endpoint", launch.rdzv_endpoint,
        "--rdzv_id", rdzv_id,
        "--max_restarts", str(launch.max_restarts),
        "-m", TRAINING_MODULE,
        "--size", args.size,
        "--train-config", str(args.train_config),
        "--dataset", str(args.dataset),
        "--out", str(args.out),
    ]


def run_torchrun(
    context: AssetExecutionContext, launch: TorchrunConfig, args: TrainingArgs,
    client: PipesSubprocessClient | None = None, env: dict[str, str] | None = None,
) -> PipesClientCompletedInvocation:
    """Run this node's share of the training job; raises DagsterPipesExecutionError on a non-zero exit.

    The training process does not speak Pipes (vitra_core never imports Dagster), so the asset returns
    its own MaterializeResult afterwards; Pipes still captures the logs and stops torchrun when the
    Dagster run is cancelled.
    """
    command = torchrun_command(launch, args, rdzv_id=context.run.run_id)
    context.log.info("launching: " + " ".join(command))
    return (client or PipesSubprocessClient()).run(command=command, context=context, env=env)
