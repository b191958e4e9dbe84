import subprocess
import sys
from pathlib import Path

VITRA = str(Path(sys.executable).parent / "vitra")


def vitra(project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([VITRA, *args], env=project.env, capture_output=True, text=True, timeout=300)


def test_help_lists_the_commands(tmp_project):
    done = vitra(tmp_project, "--help")
    assert done.returncode == 0
    for command in ("ingest", "demo", "status", "ui"):
        assert f"  {command} " in done.stdout


def test_ingest_then_status_then_ingest_again_does_no_repeated_work(shared_data, tmp_project, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a video")
    first = vitra(tmp_project, "ingest", str(shared_data / "lavila" / "ego4d_cf7c12db.gif"), str(junk))
    assert first.returncode == 0, first.stderr
    assert "ingested: 1 new, 0 duplicate, 1 quarantined, 0 failed" in first.stdout
    assert "junk.mp4: ffprobe cannot read it" in first.stderr

    status = vitra(tmp_project, "status")
    assert status.returncode == 0, status.stderr
    [row] = [line for line in status.stdout.splitlines() if "ego4d_cf7c12db.gif" in line]
    cells = row.split()
    assert cells[2:7] == ["25", "50", "2.00", "384x288", "384x288@30"]
    assert cells[8:] == ["materialized"] * 5  # raw_clips, hand_poses, camera_motion, segments, captions
    left, right = (float(rate.rstrip("%")) for rate in cells[7].split("/"))
    assert 0 <= left <= 100 and 0 < right <= 100  # rates themselves are the hand-pose tests' business
    assert "1 file(s) in quarantine" in status.stdout

    again = vitra(tmp_project, "ingest", str(shared_data / "lavila" / "ego4d_cf7c12db.gif"))
    assert "ingested: 0 new, 1 duplicate, 0 quarantined, 0 failed" in again.stdout
    assert "every video is processed through every stage; nothing to do" in again.stdout


def test_an_unknown_profile_is_a_clear_error(tmp_project):
    done = vitra(tmp_project, "--profile", "nope", "status")
    assert done.returncode == 1
    assert "profile 'nope' not found (available: cluster, default)" in done.stderr


def test_version_is_printed(tmp_project):
    done = vitra(tmp_project, "--version")
    assert done.returncode == 0 and done.stdout.startswith("vitra, version ")


def test_lineage_without_a_running_controller_reads_its_store_and_says_how_to_start_it(tmp_project, tmp_path):
    from robot.controller.process import free_port
    from robot.bundle import write_keypair
    from tests.robot.controller.process import write_config

    _, public_key = write_keypair(tmp_path / "keys")
    tmp_project.overrides["deploy.controller_config"] = str(write_config(tmp_path, public_key))
    tmp_project.overrides["deploy.url"] = f"http://127.0.0.1:{free_port()}"  # nobody listens
    done = vitra(tmp_project, "lineage")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "controller not running at" in done.stdout and "vitra controller serve --config" in done.stdout
    assert done.stderr.strip() == "Error: the controller has no active policy (deploy one: materialize deployed_policy)"


NOISE = ("W0000", "UserWarning", "Traceback")


def vitra_module(project, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """The CLI of this tree (`python -m vitra_assets.cli`), whatever `vitra` the venv's scripts point at."""
    return subprocess.run([sys.executable, "-m", "vitra_assets.cli", *args], env={**project.env, **env},
                          capture_output=True, text=True, timeout=timeout, cwd=project.root)


def test_ingest_keeps_library_noise_in_the_log_file_and_verbose_shows_it(shared_data, tmp_project, tmp_path):
    clip = tmp_path / "one_second.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(shared_data / "lavila" / "ego4d_3c0dffd0_012_014.mp4"),
                    "-t", "1", "-an", str(clip)], check=True)
    log_file = tmp_project.root / ".vitra" / "logs" / "vitra.log"
    tmp_project.overrides["paths.log_file"] = str(log_file)

    quiet = vitra_module(tmp_project, "ingest", str(clip))
    assert quiet.returncode == 0, quiet.stderr
    assert "ingested: 1 new, 0 duplicate, 0 quarantined, 0 failed" in quiet.stdout
    output = quiet.stdout + quiet.stderr
    assert [word for word in NOISE if word in output] == []
    assert quiet.stderr.strip() == f"(library output: {log_file}; `vitra --verbose` shows it here)"
    logged = log_file.read_text()
    assert "W0000" in logged and "UserWarning" in logged  # MediaPipe's C++ (fd 2) and Python warnings
    assert "DEBUG" in logged and "STEP_SUCCESS" in logged  # Dagster's console logger, at DEBUG in the log

    # readable partitions: the source name on the run and on every per-video asset's materialization
    from dagster import DagsterInstance

    from vitra_assets.definitions import PER_VIDEO_ASSETS

    cfg = tmp_project.config
    with DagsterInstance.from_config(str(cfg.resolve(cfg.dagster.home))) as instance:
        [run] = [r for r in instance.get_runs() if "dagster/partition" in r.tags]
        assert (run.job_name, run.tags["vitra/source"]) == ("per_video", "one_second.mp4")
        for asset in PER_VIDEO_ASSETS:
            event = instance.get_latest_materialization_event(asset.key)
            assert event.asset_materialization.metadata["source_name"].value == "one_second.mp4", asset.key

    next_second = tmp_path / "next_second.mp4"  # a new video, so MediaPipe runs again
    subprocess.run(["ffmpeg", "-v", "error", "-ss", "1", "-i", str(shared_data / "lavila" / "ego4d_3c0dffd0_012_014.mp4"),
                    "-t", "1", "-an", str(next_second)], check=True)
    loud = vitra_module(tmp_project, "--verbose", "ingest", str(next_second))
    assert loud.returncode == 0, loud.stderr
    assert "W0000" in loud.stderr and "UserWarning" in loud.stderr and "STEP_SUCCESS" in loud.stderr
    assert "library output" not in loud.stderr


def test_a_known_failure_is_one_line_without_a_traceback(tmp_project, tmp_path):
    tmp_project.overrides["paths.log_file"] = str(log_file := tmp_path / "vitra.log")
    (not_a_dataset := tmp_path / "empty").mkdir()
    done = vitra_module(tmp_project, "episodes", "migrate", "--root", str(not_a_dataset))
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line == f"error: {not_a_dataset}: not a LeRobot v2.1 dataset written by VITRA-Ops (meta/vitra_dataset.json format_version 1)"
    assert "Traceback" in log_file.read_text()  # the details stay available

    loud = vitra_module(tmp_project, "--verbose", "episodes", "migrate", "--root", str(not_a_dataset))
    assert loud.returncode == 1 and loud.stderr.strip().endswith(line) and "Traceback" in loud.stderr
