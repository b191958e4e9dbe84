import shutil

from dagster import DagsterInstance, build_sensor_context

from vitra_assets.definitions import defs
from vitra_core.video.identity import sha256_file


def tick(instance, project):
    sensor = defs.resolve_sensor_def("inbox_sensor")
    result = sensor(build_sensor_context(instance=instance, resources={"vitra": project.resource()}))
    for request in result.dynamic_partitions_requests:  # what the daemon does with the result
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_inbox_sensor_adds_one_partition_per_new_video_and_quarantines_bad_files(shared_data, tmp_project):
    inbox = tmp_project.config.inbox_dir
    inbox.mkdir(parents=True)
    real = shared_data / "lavila/ego4d_cf7c12db.gif"
    shutil.copy(real, inbox / "clip.gif")
    shutil.copy(real, inbox / "clip copy.gif")
    (inbox / "zero.mp4").write_bytes(b"")
    (inbox / "notes.mp4").write_text("meeting notes, not a video")
    (inbox / "cut.mp4").write_bytes((shared_data / "mediapipe_samples/hl_test_video.mp4").read_bytes()[:10240])

    with DagsterInstance.ephemeral() as instance:
        first = tick(instance, tmp_project)
        [request] = first.run_requests
        video_id = request.partition_key
        assert instance.get_dynamic_partitions("videos") == [video_id]
        assert video_id == sha256_file(real)[:16] and request.run_key == f"ingest-{video_id}"

        shutil.copy(real, inbox / "again.gif")  # the same bytes under a third name
        second = tick(instance, tmp_project)
        assert second.run_requests == [] and second.dynamic_partitions_requests == []
        assert instance.get_dynamic_partitions("videos") == [video_id]

    data = tmp_project.config.data_root
    assert sorted(p.name for p in (data / "raw").iterdir()) == [f"{video_id}.gif", f"{video_id}.source.json"]
    quarantined = sorted(p.name for p in (data / "quarantine").iterdir())
    assert quarantined == sorted(
        ["cut.mp4", "cut.mp4.reason.txt", "notes.mp4", "notes.mp4.reason.txt", "zero.mp4", "zero.mp4.reason.txt"]
    )
    for name in ("cut.mp4", "notes.mp4", "zero.mp4"):
        assert (data / "quarantine" / f"{name}.reason.txt").read_text().startswith(f"{name}: ")
    assert list(inbox.iterdir()) == []


def test_a_video_stored_before_a_crash_still_gets_its_partition(shared_data, tmp_project):
    from vitra_core.layout import DataLayout
    from vitra_core.video.ingest import ingest_file

    copy = tmp_project.root / "clip.gif"
    shutil.copy(shared_data / "lavila/ego4d_cf7c12db.gif", copy)
    video_id = ingest_file(copy, DataLayout(tmp_project.config.data_root)).video_id  # stored, no partition yet
    with DagsterInstance.ephemeral() as instance:
        result = tick(instance, tmp_project)
        assert [r.partition_key for r in result.run_requests] == [video_id]
