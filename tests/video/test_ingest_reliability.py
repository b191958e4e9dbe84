"""Hostile and unlucky inbox inputs (issue 18): every input ends stored with its record or quarantined
with a reason, stored bytes hash to their id, and the file after a bad one is still processed."""

import errno
import os
import shutil
import time

import pytest

from tests.inbox_inputs import assert_accounted_for
from vitra_core.layout import DataLayout
from vitra_core.video import ingest as ingest_module
from vitra_core.video import staging as staging_module
from vitra_core.video.ingest import SourceRecord, scan_inbox
from vitra_core.video.probe import MediaLimits

CLIP = "lavila/ego4d_3c0dffd0_012_014.mp4"
GIF = "lavila/ego4d_cf7c12db.gif"


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "data" / "inbox"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def layout(tmp_path):
    return DataLayout(tmp_path / "data")


def scan(inbox, layout, **kwargs):
    return {o.source_name: o for o in scan_inbox(inbox, layout, settle_s=kwargs.pop("settle_s", 0), max_files=50, **kwargs)}


def test_a_full_disk_while_storing_rolls_back_to_the_inbox_and_the_next_scan_stores_it(shared_data, inbox, layout, monkeypatch):
    clip = inbox / "clip.mp4"
    shutil.copy(shared_data / CLIP, clip)
    (inbox / "clip.json").write_text('{"fov_deg": 70}')
    real_copy = ingest_module.copy_hashing

    def disk_full(source, target):
        real_copy(source, target)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ingest_module, "copy_hashing", disk_full)
    [outcome] = scan(inbox, layout).values()
    assert outcome.status == "failed" and "No space left" in outcome.reason
    assert sorted(p.name for p in inbox.iterdir()) == ["clip.json", "clip.mp4"]  # back, with its sidecar
    assert not layout.raw_dir.exists() or list(layout.raw_dir.iterdir()) == []
    assert_accounted_for(layout, [], left_in_inbox=[clip.read_bytes()])

    monkeypatch.setattr(ingest_module, "copy_hashing", real_copy)
    [outcome] = scan(inbox, layout).values()
    assert outcome.status == "new"
    assert SourceRecord.model_validate_json(layout.source_record(outcome.video_id).read_text()).sidecar.fov_deg == 70
    assert_accounted_for(layout, [(shared_data / CLIP).read_bytes()])


def test_a_crash_between_storing_the_video_and_its_record_is_finished_by_the_next_scan(shared_data, inbox, layout, monkeypatch):
    shutil.copy(shared_data / CLIP, inbox / "clip.mp4")
    real_write = staging_module.write_json_atomic

    def crash_on_record(target, payload):
        if target.name.endswith(".source.json"):
            raise KeyboardInterrupt  # the process dies here: video in raw/, record not yet
        real_write(target, payload)

    monkeypatch.setattr(staging_module, "write_json_atomic", crash_on_record)
    with pytest.raises(KeyboardInterrupt):
        scan(inbox, layout)
    assert layout.raw_video_ids() == []  # no record yet, so no partition either
    monkeypatch.setattr(staging_module, "write_json_atomic", real_write)

    shutil.copy(shared_data / GIF, inbox / "next.gif")
    outcomes = scan(inbox, layout)
    assert outcomes["next.gif"].status == "new"
    assert len(layout.raw_video_ids()) == 2  # the interrupted commit was rolled forward
    assert_accounted_for(layout, [(shared_data / p).read_bytes() for p in (CLIP, GIF)])


def test_a_full_disk_while_writing_the_record_is_finished_by_the_next_scan(shared_data, inbox, layout, monkeypatch):
    shutil.copy(shared_data / CLIP, inbox / "clip.mp4")
    real_write = staging_module.write_json_atomic

    def disk_full_on_record(target, payload):
        if target.name.endswith(".source.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(target, payload)

    monkeypatch.setattr(staging_module, "write_json_atomic", disk_full_on_record)
    [outcome] = scan(inbox, layout).values()
    assert outcome.status == "failed" and "finished by the next scan" in outcome.reason
    assert layout.raw_video_ids() == []
    monkeypatch.setattr(staging_module, "write_json_atomic", real_write)
    assert scan(inbox, layout) == {}
    assert len(layout.raw_video_ids()) == 1
    assert_accounted_for(layout, [(shared_data / CLIP).read_bytes()])


def test_a_crash_before_commit_puts_the_file_back_in_the_inbox(shared_data, inbox, layout, monkeypatch):
    shutil.copy(shared_data / CLIP, inbox / "clip.mp4")
    monkeypatch.setattr(ingest_module, "probe_video", lambda path: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        scan(inbox, layout)
    assert not (inbox / "clip.mp4").exists()  # claimed and staged when the process died
    monkeypatch.undo()
    outcomes = scan(inbox, layout)  # recovery puts it back in the inbox first, so this scan stores it
    assert outcomes["clip.mp4"].status == "new"
    assert_accounted_for(layout, [(shared_data / CLIP).read_bytes()])


def test_non_utf8_and_250_byte_names_are_stored_or_quarantined_with_a_reason(shared_data, inbox, layout):
    odd = os.fsdecode(b"caf\xe9 clip.mp4")  # Latin-1 bytes: not UTF-8
    long_good, long_bad = "g" * 246 + ".mp4", "b" * 246 + ".mp4"
    shutil.copy(shared_data / CLIP, inbox / odd)
    shutil.copy(shared_data / GIF, inbox / long_good)
    (inbox / long_bad).write_text("not a video")
    outcomes = scan(inbox, layout)
    assert outcomes["caf\\xe9 clip.mp4"].status == "new"
    assert outcomes[long_good].status == "new"
    assert outcomes[long_bad].status == "quarantined"
    record = SourceRecord.model_validate_json(layout.source_record(outcomes["caf\\xe9 clip.mp4"].video_id).read_text())
    assert record.source_name == "caf\\xe9 clip.mp4"
    [reason] = layout.quarantine_dir.glob("*.reason.txt")
    assert reason.read_text().startswith(f"{long_bad}: ffprobe cannot read it")
    assert list(inbox.iterdir()) == []
    assert_accounted_for(layout, [(shared_data / CLIP).read_bytes(), (shared_data / GIF).read_bytes(), b"not a video"])


def test_a_symlink_is_refused_with_a_reason_and_its_target_is_untouched(shared_data, inbox, layout, tmp_path):
    secret = tmp_path / "project_file.mp4"
    shutil.copy(shared_data / CLIP, secret)
    (inbox / "a_link.mp4").symlink_to(secret)
    (inbox / "b_dangling.mp4").symlink_to(tmp_path / "nowhere.mp4")
    shutil.copy(shared_data / GIF, inbox / "c_real.gif")
    outcomes = scan(inbox, layout)
    assert {n: o.status for n, o in outcomes.items()} == {
        "a_link.mp4": "quarantined", "b_dangling.mp4": "quarantined", "c_real.gif": "new"}
    assert "symbolic link" in (layout.quarantine_dir / "a_link.mp4.reason.txt").read_text()
    assert secret.read_bytes() == (shared_data / CLIP).read_bytes()
    assert [p for p in layout.raw_dir.iterdir() if p.is_symlink()] == []
    assert_accounted_for(layout, [(shared_data / GIF).read_bytes()])


def test_a_file_still_being_written_goes_back_to_the_inbox_and_is_stored_once_complete(shared_data, inbox, layout, monkeypatch):
    content = (shared_data / CLIP).read_bytes()
    path = inbox / "recording.mp4"
    writer = open(path, "wb")
    writer.write(content[:60_000])
    writer.flush()
    old = time.time() - 120
    os.utime(path, (old, old))  # the writer stalled longer than the settle window
    real_copy = ingest_module.copy_hashing

    def writer_resumes(source, target):
        digest = real_copy(source, target)
        writer.write(content[60_000:])  # ... and resumes while the file is being ingested
        writer.flush()
        return digest

    monkeypatch.setattr(ingest_module, "copy_hashing", writer_resumes)
    [outcome] = scan(inbox, layout, settle_s=10).values()
    writer.close()
    assert outcome.status == "failed" and "still being written" in outcome.reason
    assert path.read_bytes() == content and list(layout.raw_dir.glob("*")) == []

    monkeypatch.setattr(ingest_module, "copy_hashing", real_copy)
    assert scan(inbox, layout, settle_s=10) == {}  # just modified: not settled
    os.utime(path, (old, old))
    [outcome] = scan(inbox, layout, settle_s=10).values()
    assert outcome.status == "new"
    assert_accounted_for(layout, [content])


def test_an_unexpected_exception_quarantines_that_file_and_the_next_one_is_processed(shared_data, inbox, layout, monkeypatch):
    shutil.copy(shared_data / CLIP, inbox / "a_poison.mp4")
    shutil.copy(shared_data / GIF, inbox / "b_next.gif")
    real_probe = ingest_module.probe_video
    calls = []

    def probe(path):
        calls.append(path)
        if len(calls) == 1:
            raise RecursionError("maximum recursion depth exceeded")
        return real_probe(path)

    monkeypatch.setattr(ingest_module, "probe_video", probe)
    outcomes = scan(inbox, layout)
    assert outcomes["a_poison.mp4"].status == "quarantined" and "RecursionError" in outcomes["a_poison.mp4"].reason
    assert outcomes["b_next.gif"].status == "new"
    assert_accounted_for(layout, [(shared_data / p).read_bytes() for p in (CLIP, GIF)])


@pytest.mark.parametrize("sidecar, reason", [
    ("[" * 100_000 + "]" * 100_000, "bytes, more than"),
    ("[" * 1000 + "]" * 1000, "nests deeper"),
    ('{"fx": NaN, "fy": 300, "cx": 160, "cy": 120}', "not a finite number"),
    ('{"fov_deg": Infinity}', "not a finite number"),
    ('{"fx": 1e308, "fy": 1e308, "cx": 160, "cy": 120}', "less than or equal"),
    ('{"fx": 300, "fy": 300, "cx": -1e6, "cy": 120}', "greater than or equal"),
    ('{"fx": 300, "fy": 300, "cx": 5000, "cy": 120}', "cx=5000 px is outside"),
    ('{"fov_deg": 60, "width": 1e20, "height": 10}', "width:"),
    ('{"fov_deg": 1}', "greater than or equal to 5"),
], ids=["huge", "nested", "nan", "infinity", "fx-1e308", "cx-minus-1e6", "cx-outside", "width-1e20", "fov-1"])
def test_a_hostile_sidecar_quarantines_its_video_with_a_reason_naming_the_sidecar(shared_data, inbox, layout, sidecar, reason):
    shutil.copy(shared_data / CLIP, inbox / "a_clip.mp4")
    (inbox / "a_clip.json").write_text(sidecar)
    shutil.copy(shared_data / GIF, inbox / "b_next.gif")
    outcomes = scan(inbox, layout)
    assert outcomes["a_clip.mp4"].status == "quarantined"
    assert outcomes["b_next.gif"].status == "new"
    note = (layout.quarantine_dir / "a_clip.mp4.reason.txt").read_text()
    assert note.startswith("a_clip.mp4: a_clip.json: sidecar") and reason in note, note
    assert (layout.quarantine_dir / "a_clip.mp4.json").read_text() == sidecar  # kept for inspection
    assert_accounted_for(layout, [(shared_data / p).read_bytes() for p in (CLIP, GIF)])


def test_a_timestamp_bomb_and_a_pixel_limit_are_refused_before_decoding(shared_data, inbox, layout, monkeypatch, tmp_path):
    import subprocess

    bomb = inbox / "a_bomb.mp4"  # 3 real frames spanning an hour
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(shared_data / CLIP), "-frames:v", "3",
                    "-vf", "setpts=N*1800/TB", "-fps_mode", "passthrough", "-an", "-c:v", "libx264", str(bomb)], check=True)
    shutil.copy(shared_data / "mediapipe_samples/hl_test_video.mp4", inbox / "b_big.mp4")  # 640x360: over 150,000 pixels
    shutil.copy(shared_data / GIF, inbox / "c_small.gif")
    decoded = []
    real_first_frame = ingest_module._check_first_frame
    monkeypatch.setattr(ingest_module, "_check_first_frame", lambda p: decoded.append(p) or real_first_frame(p))
    inputs = [p.read_bytes() for p in sorted(inbox.iterdir())]

    outcomes = scan(inbox, layout, limits=MediaLimits(max_pixels_per_frame=150_000))
    assert {n: o.status for n, o in outcomes.items()} == {
        "a_bomb.mp4": "quarantined", "b_big.mp4": "quarantined", "c_small.gif": "new"}
    assert "3 frames span 3600.0 s" in (layout.quarantine_dir / "a_bomb.mp4.reason.txt").read_text()
    assert "over the media limits: 640x360 frames" in (layout.quarantine_dir / "b_big.mp4.reason.txt").read_text()
    assert len(decoded) == 1  # only the small clip was ever decoded
    assert_accounted_for(layout, inputs)


def test_normalising_refuses_a_timestamp_bomb_already_in_the_store(shared_data, tmp_path):
    import subprocess

    from vitra_core.errors import InvalidVideoError
    from vitra_core.video.normalise import NormaliseSettings, normalise_clip

    bomb = tmp_path / "bomb.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(shared_data / CLIP), "-frames:v", "3",
                    "-vf", "setpts=N*1800/TB", "-fps_mode", "passthrough", "-an", "-c:v", "libx264", str(bomb)], check=True)
    with pytest.raises(InvalidVideoError, match="bomb.mp4: over the media limits: 3 frames span"):
        normalise_clip(bomb, tmp_path / "out.mp4", NormaliseSettings())
    assert not (tmp_path / "out.mp4").exists()


def test_damaged_media_data_is_quarantined_by_the_full_decode_check(shared_data, inbox, layout):
    content = (shared_data / CLIP).read_bytes()
    middle = len(content) // 2
    damaged = content[:middle] + bytes((i * 97 + 13) % 256 for i in range(16384)) + content[middle + 16384:]
    (inbox / "a_damaged.mp4").write_bytes(damaged)
    shutil.copy(shared_data / GIF, inbox / "b_next.gif")
    outcomes = scan(inbox, layout)
    assert outcomes["a_damaged.mp4"].status == "quarantined"
    assert outcomes["b_next.gif"].status == "new"
    assert "damaged media:" in (layout.quarantine_dir / "a_damaged.mp4.reason.txt").read_text()
    assert_accounted_for(layout, [damaged, (shared_data / GIF).read_bytes()])


def test_the_same_file_ingested_twice_at_once_is_stored_once(shared_data, inbox, layout):
    from concurrent.futures import ThreadPoolExecutor

    shutil.copy(shared_data / CLIP, inbox / "clip.mp4")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: [o.status for o in scan_inbox(inbox, layout, 0, 10)], range(2)))
    assert sorted(map(tuple, results)) == [(), ("new",)]  # the inbox lock: the second scan finds nothing left
    assert_accounted_for(layout, [(shared_data / CLIP).read_bytes()])
