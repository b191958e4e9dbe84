"""Inbox ingestion: hash, validate and file each new video under its content id, or quarantine it.

The contract the inbox sensor and `vitra ingest` rely on: a file leaves the inbox exactly once, either
as `raw/<id>.<ext>` (plus `<id>.source.json`), as a duplicate (deleted: its bytes are already stored),
or into `quarantine/` with `<name>.reason.txt`. Files are moved with a rename, so `raw/` never holds
a partial file, and one bad file never stops the others.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel

from vitra_core.errors import InvalidVideoError
from vitra_core.fsutil import copy_atomic, write_json_atomic, write_text_atomic
from vitra_core.layout import DataLayout
from vitra_core.video.frames import iter_frames
from vitra_core.video.identity import sha256_file, video_id_from_sha256
from vitra_core.video.probe import VideoProbe, probe_video
from vitra_core.video.sidecar import VideoSidecar, find_sidecar, parse_sidecar

_CONTAINER_SUFFIX = {"gif": ".gif", "webm": ".webm", "matroska": ".mkv", "mov": ".mp4", "avi": ".avi"}


class SourceRecord(BaseModel):
    """Provenance of a stored source video (`raw/<id>.source.json`)."""

    video_id: str
    sha256: str
    source_name: str
    size_bytes: int
    ingested_at: str
    sidecar: VideoSidecar | None = None


class IngestOutcome(BaseModel):
    source_name: str
    status: Literal["new", "duplicate", "quarantined", "failed"]
    video_id: str | None = None
    reason: str | None = None


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _stored_suffix(path: Path, probe: VideoProbe) -> str:
    if path.suffix:
        return path.suffix.lower()
    first = probe.container.split(",")[0]
    return _CONTAINER_SUFFIX.get(first, f".{first}")


def _move(source: Path, target: Path) -> None:
    """Rename when possible; across file systems copy atomically, then delete the source."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError:
        copy_atomic(source, target)
        source.unlink()


def _free_name(folder: Path, name: str) -> Path:
    candidate, n = folder / name, 1
    while candidate.exists():
        stem, dot, ext = name.partition(".")
        candidate = folder / f"{stem}.{n}{dot}{ext}"
        n += 1
    return candidate


def quarantine(path: Path, reason: str, layout: DataLayout, sidecar: Path | None = None) -> Path:
    """Move a rejected file (and its sidecar) to quarantine, with a reason file beside it."""
    target = _free_name(layout.quarantine_dir, path.name)
    _move(path, target)
    if sidecar is not None and sidecar.exists():
        _move(sidecar, target.with_name(target.name + ".json"))
    write_text_atomic(
        target.with_name(target.name + ".reason.txt"),
        f"{path.name}: {reason}\nquarantined at {_now_iso()} from {path.parent}\n",
    )
    return target


def _check_decodes(path: Path) -> None:
    """Decode the first frame: catches files whose header probes fine but whose data is garbage."""
    for _ in iter_frames(path, max_frames=1):
        return


def ingest_file(path: Path, layout: DataLayout) -> IngestOutcome:
    """File one inbox entry: store it under its content id, drop a duplicate, or quarantine it."""
    sidecar = find_sidecar(path)
    try:
        spec = parse_sidecar(sidecar) if sidecar else None
        probe = probe_video(path)
        _check_decodes(path)
    except InvalidVideoError as exc:
        quarantine(path, exc.reason if exc.path == path else str(exc), layout, sidecar)
        return IngestOutcome(source_name=path.name, status="quarantined", reason=str(exc))
    sha = sha256_file(path)
    video_id = video_id_from_sha256(sha)
    status: Literal["new", "duplicate"] = "new"
    if layout.raw_video(video_id) is None:
        _move(path, layout.raw_dir / f"{video_id}{_stored_suffix(path, probe)}")
    else:
        status = "duplicate"
        path.unlink()
    if sidecar is not None:
        sidecar.unlink()
    if not layout.source_record(video_id).exists():
        record = SourceRecord(
            video_id=video_id, sha256=sha, source_name=path.name, size_bytes=probe.size_bytes,
            ingested_at=_now_iso(), sidecar=spec,
        )
        write_json_atomic(layout.source_record(video_id), record)
    return IngestOutcome(source_name=path.name, status=status, video_id=video_id)


def pending_inbox_files(inbox: Path, settle_s: float, now: float | None = None) -> list[Path]:
    """Inbox files ready for ingestion: not hidden, not sidecars, untouched for `settle_s` seconds."""
    if not inbox.is_dir():
        return []
    now = time.time() if now is None else now
    ready = []
    for path in sorted(inbox.iterdir()):
        if path.name.startswith(".") or path.suffix == ".json" or not path.is_file():
            continue
        if now - path.stat().st_mtime >= settle_s:
            ready.append(path)
    return ready


@contextmanager
def inbox_lock(layout: DataLayout) -> Iterator[None]:
    """Serialise inbox scans (sensor ticks and CLI calls may overlap)."""
    layout.root.mkdir(parents=True, exist_ok=True)
    with open(layout.root / ".inbox.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def scan_inbox(inbox: Path, layout: DataLayout, settle_s: float, max_files: int) -> list[IngestOutcome]:
    """Ingest up to `max_files` settled inbox files.

    A file that fails for a reason other than its content (e.g. permissions) stays in the inbox,
    reported as "failed", and is retried next time; the other files go on.
    """
    outcomes = []
    with inbox_lock(layout):
        for path in pending_inbox_files(inbox, settle_s)[:max_files]:
            try:
                outcomes.append(ingest_file(path, layout))
            except OSError as exc:
                outcomes.append(IngestOutcome(source_name=path.name, status="failed", reason=f"{path.name}: {exc}"))
    return outcomes
