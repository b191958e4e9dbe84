import shutil

from tests.inbox_inputs import BAD_FILES, fill_inbox
from vitra_core.layout import DataLayout
from vitra_core.video.ingest import SourceRecord, ingest_file, pending_inbox_files, scan_inbox


def test_a_new_clip_is_stored_under_its_content_id_with_provenance(shared_data, tmp_path):
    layout = DataLayout(tmp_path / "data")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    clip = inbox / "Kitchen Clip.MP4"
    shutil.copy(shared_data / "lavila/ego4d_3c0dffd0_012_014.mp4", clip)
    (inbox / "Kitchen Clip.json").write_text('{"fov_deg": 90}')
    outcome = ingest_file(clip, layout)
    assert outcome.status == "new" and len(outcome.video_id) == 16
    assert sorted(p.name for p in layout.raw_dir.iterdir()) == [f"{outcome.video_id}.mp4", f"{outcome.video_id}.source.json"]
    record = SourceRecord.model_validate_json(layout.source_record(outcome.video_id).read_text())
    assert record.source_name == "Kitchen Clip.MP4" and record.size_bytes == 127351
    assert record.sidecar.fov_deg == 90 and record.sidecar.mirrored is False
    assert list(inbox.iterdir()) == []  # the video and its sidecar both left the inbox
    assert layout.raw_video_ids() == [outcome.video_id]


def test_files_still_being_written_and_sidecars_wait_in_the_inbox(tmp_path):
    (tmp_path / "done.mp4").write_bytes(b"x")
    (tmp_path / "done.json").write_text("{}")
    (tmp_path / ".copying.mp4.part").write_bytes(b"x")
    assert pending_inbox_files(tmp_path, settle_s=0) == [tmp_path / "done.mp4"]
    assert pending_inbox_files(tmp_path, settle_s=60) == []  # modified just now: not settled yet


def test_bad_files_are_quarantined_with_reasons_and_the_good_one_is_kept(shared_data, tmp_path):
    layout = DataLayout(tmp_path / "data")
    inbox = tmp_path / "inbox"
    real = fill_inbox(inbox, shared_data)

    outcomes = {o.source_name: o for o in scan_inbox(inbox, layout, settle_s=0, max_files=100)}

    assert {name: o.status for name, o in outcomes.items()} == {
        "a_real.gif": "new", "b_duplicate.gif": "duplicate",
        "c_empty.mp4": "quarantined", "d_text.mp4": "quarantined", "e_truncated.mp4": "quarantined",
    }
    assert outcomes["a_real.gif"].video_id == outcomes["b_duplicate.gif"].video_id
    video_id = outcomes["a_real.gif"].video_id
    assert sorted(p.name for p in layout.raw_dir.iterdir()) == [f"{video_id}.gif", f"{video_id}.source.json"]
    assert (layout.raw_dir / f"{video_id}.gif").read_bytes() == real.read_bytes()
    for name, reason in BAD_FILES.items():
        assert (layout.quarantine_dir / name).exists()
        text = (layout.quarantine_dir / f"{name}.reason.txt").read_text()
        assert text.startswith(f"{name}: ") and reason in text
    assert list(inbox.iterdir()) == []


def test_quarantine_never_overwrites_an_earlier_file(tmp_path):
    layout = DataLayout(tmp_path / "data")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for content in (b"first", b"second"):
        (inbox / "junk.mp4").write_bytes(content)
        scan_inbox(inbox, layout, settle_s=0, max_files=10)
    assert (layout.quarantine_dir / "junk.mp4").read_bytes() == b"first"
    assert (layout.quarantine_dir / "junk.1.mp4").read_bytes() == b"second"
    assert (layout.quarantine_dir / "junk.1.mp4.reason.txt").exists()
