"""DDP: two CPU processes (gloo) started by a real torchrun through the CLI match one process on one global batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.training.helpers import right_hand_episodes, short_run
from vitra_core.model import VLAConfig
from vitra_core.training import train
from vitra_core.training.checkpoint import PROGRESS_FILE, latest_checkpoint


@pytest.mark.slow
def test_two_gloo_processes_under_torchrun_match_one_process(scratch_build, tmp_path):
    episodes = right_hand_episodes(scratch_build)
    # augmentation on: each sample's flip and jitter must not depend on which rank draws it
    config = short_run(steps=6, augment={"flip_prob": 0.5, "brightness": 0.2})
    single = train(VLAConfig.preset("tiny"), config, scratch_build, tmp_path / "single", episodes=episodes)

    (tmp_path / "model.yaml").write_text(yaml.safe_dump({"size": "tiny"}))
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(config.model_dump(mode="json")))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "vitra_core.training", "--model-config", str(tmp_path / "model.yaml"),
               "--train-config", str(tmp_path / "train.yaml"), "--dataset", str(scratch_build),
               "--out", str(tmp_path / "ddp"), "--episodes", *map(str, episodes)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    progress = json.loads((latest_checkpoint(tmp_path / "ddp") / PROGRESS_FILE).read_text())
    assert progress["step"] == 6
    assert progress["losses"] == pytest.approx(single.losses, abs=1e-5)
    summary = json.loads(done.stdout.strip().splitlines()[-1])  # only rank 0 prints its result
    assert summary["steps"] == 6 and summary["final_loss"] == pytest.approx(single.final_loss, abs=1e-5)
