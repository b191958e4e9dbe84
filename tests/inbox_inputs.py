"""Putting real videos into a project: the issue's bad-input inbox set, and direct ingestion."""

import json
import shutil
from pathlib import Path

REAL_CLIP = "lavila/ego4d_cf7c12db.gif"
# name -> the reason its quarantine note must give
BAD_FILES = {
    "c_empty.mp4": "empty file (0 bytes)",
    "d_text.mp4": "ffprobe cannot read it",
    "e_truncated.mp4": "truncated: header declares 202 frames",
}


def fill_inbox(inbox: Path, shared_data: Path) -> Path:
    """Write the set into `inbox`; return the real clip's source path."""
    inbox.mkdir(parents=True, exist_ok=True)
    real = shared_data / REAL_CLIP
    shutil.copy(real, inbox / "a_real.gif")
    shutil.copy(real, inbox / "b_duplicate.gif")
    (inbox / "c_empty.mp4").write_bytes(b"")
    (inbox / "d_text.mp4").write_text("hello, I am not a video\n")
    (inbox / "e_truncated.mp4").write_bytes((shared_data / "mediapipe_samples/hl_test_video.mp4").read_bytes()[:10240])
    return real


def store_video(project, source: Path, sidecar: dict | None = None) -> str:
    """Ingest a copy of `source` (with an optional sidecar) into a TmpProject; return its video id."""
    from vitra_core.layout import DataLayout
    from vitra_core.video.ingest import ingest_file

    copy = project.root / source.name
    shutil.copy(source, copy)
    if sidecar is not None:
        copy.with_suffix(".json").write_text(json.dumps(sidecar))
    return ingest_file(copy, DataLayout(project.config.data_root)).video_id


def assert_accounted_for(layout, inputs: list[bytes], left_in_inbox: list[bytes] = ()) -> None:
    """Nothing lost, nothing corrupted: each input's bytes are stored under their own hash with a record,
    or quarantined with a reason file, or (for `left_in_inbox`) still waiting; no claim is left staged."""
    import hashlib

    from vitra_core.video.ingest import SourceRecord

    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    stored = set()
    raw_files = [p for p in layout.raw_dir.glob("*") if not p.name.endswith(".json")] if layout.raw_dir.is_dir() else []
    for raw in raw_files:
        video_id = raw.name.split(".", 1)[0]
        assert not raw.is_symlink(), f"{raw.name} is a link"
        assert layout.source_record(video_id).exists(), f"{raw.name} in raw/ has no record"
        record = SourceRecord.model_validate_json(layout.source_record(video_id).read_text())
        digest = sha(raw.read_bytes())
        assert digest == record.sha256 and digest[:16] == video_id == record.video_id, f"{raw.name} is corrupted"
        stored.add(digest)
    quarantined = set()
    qdir = layout.quarantine_dir
    for entry in (sorted(qdir.iterdir()) if qdir.is_dir() else []):
        if entry.name.endswith((".reason.txt", ".json")):
            continue
        assert entry.with_name(entry.name + ".reason.txt").is_file(), f"{entry.name} quarantined without a reason"
        quarantined.add(entry.name if entry.is_symlink() else sha(entry.read_bytes()))
    for data in inputs:
        if data not in left_in_inbox:
            assert sha(data) in stored | quarantined, f"an input of {len(data)} bytes was lost"
    staging = layout.root / ".ingest"
    assert not staging.is_dir() or not [p for p in staging.iterdir() if p.is_dir()], "a claim was left staged"
