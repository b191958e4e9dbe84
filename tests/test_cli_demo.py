"""`vitra demo` as a person sees it, on a tiny corpus (two short real clips, tiny training): stage lines,
run ids, the status table and the summary; no library warnings or tracebacks, and short enough to read."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from dagster import DagsterInstance, RunsFilter

from robot.bundle import write_keypair
from tests.dagster.test_model_to_controller import TINY_TRAINING
from tests.robot.controller.process import TOKEN_ENV, free_port, write_config
from tests.test_cli import NOISE, vitra_module

MAX_LINES = 100  # two screens of a 50-line terminal


@pytest.mark.slow
@pytest.mark.timeout(1800)  # ~10 min on 2 busy cores; the tiny training still runs every stage
def test_demo_on_a_tiny_corpus_prints_stages_and_summary_without_library_noise(shared_data, tmp_project, tmp_path):
    samples = tmp_path / "samples"
    samples.mkdir()
    shutil.copy2(shared_data / "lavila" / "ego4d_cf7c12db.gif", samples)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(shared_data / "lavila" / "ego4d_3c0dffd0_012_014.mp4"),
                    "-t", "1.5", "-an", str(samples / "cooking.mp4")], check=True)
    private_key, public_key = write_keypair(tmp_path / "keys")
    tmp_project.overrides.update({
        "mlflow.tracking_uri": f"sqlite:///{tmp_path}/mlflow.db", "mlflow.artifact_location": str(tmp_path / "mlartifacts"),
        "paths.runs": str(tmp_path / "runs"), "robot_demos.episodes_per_task": "2", "policy_eval.seeds_per_task": "2",
        "policy_eval.min_success_rate": "1.0",  # tiny training promotes nothing: the demo says so and deploys nothing
        "deploy.signing_key": str(private_key), "deploy.bundles_dir": str(tmp_path / "bundles"),
        "deploy.token_env": TOKEN_ENV, "deploy.controller_config": str(write_config(tmp_path, public_key)),
        "deploy.url": f"http://127.0.0.1:{free_port()}",
        **{f"pretrain.{k}": v for k, v in TINY_TRAINING.items()},
        **{f"finetune.{k}": v for k, v in TINY_TRAINING.items() if k != "size"},
    })

    done = vitra_module(tmp_project, "demo", "--samples", str(samples), timeout=1700)
    output = done.stdout + done.stderr
    print(output)  # what a person sees (pytest -s, or the report of a failure)
    assert done.returncode == 0, output
    assert [word for word in NOISE if word in output] == [], output
    lines = output.splitlines()
    assert len(lines) <= MAX_LINES, output
    assert "ingested: 2 new, 0 duplicate, 0 quarantined, 0 failed" in lines
    for stage in ("episodes", "pretrained_vla", "vla_eval", "robot_demos", "finetuned_policy", "policy_eval"):
        assert any(line.startswith(f"{stage}: ") and " run " in line for line in lines), stage
    assert any(line.startswith("deployed_policy: skipped; ") for line in lines)

    cfg = tmp_project.config
    with DagsterInstance.from_config(str(cfg.resolve(cfg.dagster.home))) as instance:
        jobs = sorted(run.job_name for run in instance.get_runs(RunsFilter(tags={"vitra/launched_by": "cli"})))
        for run in instance.get_runs():
            assert run.remote_job_origin is not None, run.run_id  # launched through the instance, not in process
    assert jobs == sorted(["per_video"] + ["dataset"] + ["train"] * 2 + ["robot"] * 3 + ["benefit"])
