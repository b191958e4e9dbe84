"""The training command line."""

from __future__ import annotations

import subprocess
import sys


def test_help_lists_the_options_and_the_torchrun_form():
    done = subprocess.run([sys.executable, "-m", "vitra_core.training", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    for option in ("--model-config", "--size", "--train-config", "--dataset", "--out", "--episodes", "torchrun"):
        assert option in done.stdout


def test_a_bad_train_config_is_reported_by_name(tmp_path):
    (tmp_path / "train.yaml").write_text("steps: -3\n")
    done = subprocess.run([sys.executable, "-m", "vitra_core.training", "--size", "tiny", "--train-config",
                           str(tmp_path / "train.yaml"), "--dataset", str(tmp_path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "train.yaml" in done.stderr and "steps" in done.stderr
