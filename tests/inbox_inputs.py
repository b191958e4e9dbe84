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
