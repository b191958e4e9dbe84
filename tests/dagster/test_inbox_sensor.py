import shutil

from dagster import DagsterInstance, build_sensor_context

from tests.inbox_inputs import BAD_FILES, fill_inbox
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
    real = fill_inbox(inbox, shared_data)

    with DagsterInstance.ephemeral() as instance:
        first = tick(instance, tmp_project)
        [request] = first.run_requests
        video_id = request.partition_key
        assert instance.get_dynamic_partitions("videos") == [video_id]
        assert video_id == sha256_file(real)[:16] and request.run_key == f"ingest-{video_id}"
        assert request.tags == {"vitra/source": "a_real.gif"}  # the file name beside the content id, in the Runs list

        shutil.copy(real, inbox / "again.gif")  # the same bytes under a third name
        second = tick(instance, tmp_project)
        assert second.run_requests == [] and second.dynamic_partitions_requests == []
        assert instance.get_dynamic_partitions("videos") == [video_id]

    data = tmp_project.config.data_root
    assert sorted(p.name for p in (data / "raw").iterdir()) == [f"{video_id}.gif", f"{video_id}.source.json"]
    quarantined = sorted(p.name for p in (data / "quarantine").iterdir())
    assert quarantined == sorted([*BAD_FILES, *(f"{name}.reason.txt" for name in BAD_FILES)])
    for name, reason in BAD_FILES.items():
        note = (data / "quarantine" / f"{name}.reason.txt").read_text()
        assert note.startswith(f"{name}: ") and reason in note
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
