"""Issue 18 through the pipeline's own entry points: `vitra ingest`'s inbox drop and drain, the inbox
sensor, and two processes ingesting one video at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from dagster import DagsterInstance

from tests.dagster.test_inbox_sensor import tick
from tests.inbox_inputs import assert_accounted_for
from vitra_assets.runner import IngestReport, drain_inbox, drop_into_inbox, expand_inputs
from vitra_core.layout import DataLayout
from vitra_core.video.ingest import SourceRecord

CLIP, OTHER, GIF = "lavila/ego4d_3c0dffd0_012_014.mp4", "mediapipe_samples/hl_test_video.mp4", "lavila/ego4d_cf7c12db.gif"


def records(layout: DataLayout) -> dict[str, SourceRecord]:
    found = [SourceRecord.model_validate_json(p.read_text()) for p in layout.raw_dir.glob("*.source.json")]
    return {r.source_name: r for r in found}


def test_vitra_ingest_keeps_two_clips_with_one_base_name_each_with_its_own_sidecar(shared_data, tmp_project, tmp_path):
    source = tmp_path / "shoot"
    (source / "cam1").mkdir(parents=True)
    (source / "cam2").mkdir()
    shutil.copy(shared_data / CLIP, source / "cam1" / "clip.mp4")
    (source / "cam1" / "clip.json").write_text('{"fov_deg": 90}')
    shutil.copy(shared_data / OTHER, source / "cam2" / "clip.mp4")
    project = tmp_project.config.model_copy(update={"inbox": tmp_project.config.inbox.model_copy(update={"settle_s": 60})})
    inbox = project.inbox_dir
    inbox.mkdir(parents=True)
    foreign = inbox / "still_copying.mp4"  # another writer's file, modified just now: not settled
    foreign.write_bytes((shared_data / GIF).read_bytes()[:5000])

    report = IngestReport()
    with DagsterInstance.ephemeral() as instance:
        drain_inbox(project, instance, report, drop_into_inbox(expand_inputs([source]), inbox))
        assert len(instance.get_dynamic_partitions("videos")) == 2
    assert sorted(o.status for o in report.outcomes) == ["new", "new"]
    layout = DataLayout(project.data_root)
    stored = records(layout)
    assert sorted(stored) == ["clip.1.mp4", "clip.mp4"]
    assert stored["clip.mp4"].sidecar.fov_deg == 90 and stored["clip.1.mp4"].sidecar is None
    assert stored["clip.mp4"].sha256 == __import__("hashlib").sha256((shared_data / CLIP).read_bytes()).hexdigest()
    assert sorted(p.name for p in inbox.iterdir()) == ["still_copying.mp4"]  # vitra ingest waited for it to settle
    assert_accounted_for(layout, [(shared_data / p).read_bytes() for p in (CLIP, OTHER)])


def test_the_sensor_survives_a_deeply_nested_sidecar_and_registers_the_other_files(shared_data, tmp_project):
    inbox = tmp_project.config.inbox_dir
    inbox.mkdir(parents=True)
    shutil.copy(shared_data / CLIP, inbox / "a_nested.mp4")
    (inbox / "a_nested.json").write_text("[" * 50_000 + "]" * 50_000)
    shutil.copy(shared_data / GIF, inbox / "b_good.gif")
    long_name = "c" * 246 + ".mp4"
    shutil.copy(shared_data / OTHER, inbox / long_name)
    with DagsterInstance.ephemeral() as instance:
        result = tick(instance, tmp_project)
        assert len(result.run_requests) == 2
        assert tick(instance, tmp_project).run_requests == []  # nothing stuck, nothing repeated
    layout = DataLayout(tmp_project.config.data_root)
    assert sorted(records(layout)) == ["b_good.gif", long_name]
    assert "a_nested.json: sidecar" in (layout.quarantine_dir / "a_nested.mp4.reason.txt").read_text()
    assert list(inbox.iterdir()) == []
    assert_accounted_for(layout, [(shared_data / p).read_bytes() for p in (CLIP, GIF, OTHER)])


# What `vitra ingest` does after its drain, for raw_clips only: find the pending work, then run it
# under the video locks. A file barrier makes both processes find the work before either runs it.
RUN_RAW_CLIPS = """
import sys, time
from pathlib import Path
from vitra_assets.definitions import defs
from vitra_assets.instance import project_instance
from vitra_assets.raw_clips import raw_clips
from vitra_assets.runner import IngestReport, materialize_partitions, pending_work
from vitra_core.config import load_config
from vitra_core.layout import DataLayout
cfg = load_config("default")
report = IngestReport()
barrier = Path(sys.argv[1])
with project_instance(cfg) as instance:
    work = pending_work(instance, [raw_clips.key])
    (barrier / sys.argv[2]).touch()
    while len(list(barrier.iterdir())) < 2:
        time.sleep(0.05)
    materialize_partitions(instance, defs, work, report, DataLayout(cfg.data_root))
print(f"{len(work)} pending, " + ("ok" if report.succeeded and not report.failed else "failed"))
"""


@pytest.mark.slow
def test_two_processes_ingesting_one_video_at_once_run_its_stage_once(shared_data, tmp_project, disk_instance, tmp_path):
    from tests.inbox_inputs import store_video
    from vitra_assets.raw_clips import raw_clips

    video_id = store_video(tmp_project, shared_data / GIF)
    disk_instance.add_dynamic_partitions("videos", [video_id])
    env = {**os.environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2])}
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", RUN_RAW_CLIPS, str(barrier), str(n)], env=env,
                              stdout=subprocess.PIPE, text=True) for n in range(2)]
    outputs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert outputs == ["1 pending, ok", "1 pending, ok"]  # both saw the video as pending
    records_ = disk_instance.fetch_materializations(raw_clips.key, limit=10).records
    assert [r.partition_key for r in records_] == [video_id]  # one materialization: the second process waited, then skipped
