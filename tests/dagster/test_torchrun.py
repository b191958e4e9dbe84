"""Training launched from an asset under torchrun: the command built from the profiles, and one real
1-node run of `python -m vitra_core.training` through Dagster Pipes on a dataset built from a real clip."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, MaterializeResult, asset, materialize

from tests.episodes.conftest import one_second_spans
from vitra_assets.torchrun import TrainingArgs, run_torchrun, torchrun_command, torchrun_executable
from vitra_core.config import TorchrunConfig, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ARGS = TrainingArgs(size="base", train_config=Path("configs/train/base.yaml"), dataset=Path("/mnt/vitra/data/episodes"),
                    out=Path("/mnt/vitra/runs/pretrain"))


def test_cluster_profile_launches_4_nodes_of_8_processes_at_one_rendezvous():
    launch = load_config("cluster", CONFIGS, environ={}).training.torchrun
    command = torchrun_command(launch, ARGS, rdzv_id="run-42")
    assert command == [
        *torchrun_executable(),
        "--nnodes", "4", "--nproc_per_node", "8", "--rdzv_backend", "c10d",
        "--rdzv_endpoint", "vitra-train-0.vitra-train.vitra.svc.cluster.local:29400", "--rdzv_id", "run-42",
        "--max_restarts", "3",
        "-m", "vitra_core.training", "--size", "base", "--train-config", "configs/train/base.yaml",
        "--dataset", "/mnt/vitra/data/episodes", "--out", "/mnt/vitra/runs/pretrain",
    ]


def test_default_profile_launches_one_local_process_with_the_venvs_torchrun():
    launch = load_config("default", CONFIGS, environ={}).training.torchrun
    command = torchrun_command(launch, ARGS, rdzv_id="r")
    assert Path(command[0]).parent == Path(sys.executable).parent and Path(command[0]).name == "torchrun"
    assert command[1:9] == ["--nnodes", "1", "--nproc_per_node", "1", "--rdzv_backend", "c10d",
                            "--rdzv_endpoint", "127.0.0.1:29500"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tiny_dataset(shared_data, tmp_path_factory) -> Path:
    """A LeRobot dataset of a few 1 s episodes from the real two-handed cooking clip."""
    from vitra_core.episodes import VideoEpisodesInput, build_dataset
    from vitra_core.hands import extract_hand_poses
    from vitra_core.video import NormaliseSettings, normalise_clip

    folder = tmp_path_factory.mktemp("torchrun_data")
    clip = folder / "cooking.mp4"
    normalise_clip(shared_data / "lavila/ego4d_3c0dffd0_012_014.mp4", clip, NormaliseSettings())
    poses = extract_hand_poses(clip)
    build_dataset(folder / "episodes", [VideoEpisodesInput("cooking", clip, poses, one_second_spans(poses.num_frames))])
    return folder / "episodes"


def train_asset(launch: TorchrunConfig, args: TrainingArgs):
    @asset
    def trained_policy(context) -> MaterializeResult:
        run_torchrun(context, launch, args, env={"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"})
        return MaterializeResult(metadata={"policy": str(args.out / "policy")})  # the training process reports nothing

    return trained_policy


@pytest.mark.slow
def test_a_real_one_node_run_trains_a_policy_and_a_failing_one_fails_the_step(tiny_dataset, tmp_path):
    from vitra_core.model import VLAPolicy

    launch = TorchrunConfig(rdzv_endpoint=f"127.0.0.1:{free_port()}")
    train_yaml = tmp_path / "train.yaml"
    train_yaml.write_text(yaml.safe_dump({"steps": 2, "batch_size": 2, "warmup_steps": 0, "checkpoint_every": 2}))
    args = TrainingArgs(size="tiny", train_config=train_yaml, dataset=tiny_dataset, out=tmp_path / "run")
    with DagsterInstance.ephemeral() as instance:
        result = materialize([train_asset(launch, args)], instance=instance)
        assert result.success
        assert sorted(p.name for p in (tmp_path / "run" / "policy").iterdir()) == sorted(VLAPolicy.FILES)

        broken = args.model_copy(update={"dataset": tmp_path / "no_such_dataset", "out": tmp_path / "run2"})
        failed = materialize([train_asset(launch, broken)], instance=instance, raise_on_error=False)
        assert not failed.success
        [failure] = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
        cause = failure.step_failure_data.error.cause
        assert cause.cls_name == "DagsterPipesExecutionError" and "failed with code 1" in cause.message
