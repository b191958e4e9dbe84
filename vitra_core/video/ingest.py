"""Inbox ingestion as a transaction: each inbox file ends stored, dropped as a duplicate, or quarantined.

The contract the inbox sensor and `vitra ingest` rely on:

- A file is *claimed* by renaming it (and its sidecar) out of the inbox into a private staging folder
  `<data_root>/.ingest/<token>/` with short fixed names, after a `claim.json` that records where it
  came from. Only regular files that have not changed for the settle window are claimed.
- The claimed file is copied into the staging folder while it is hashed, so the stored bytes are a
  new file no late writer can reach and always hash to their id. If the claimed file changed while
  it was copied (a writer still at work) the claim is rolled back to the inbox.
- Probe, media limits, a full decode and the sidecar are checked on that copy; a bad file goes to
  `quarantine/` with `<name>.reason.txt` (written first).
- Commit: `commit.json` (the record) is written, then the copy is renamed to `raw/<id>.<ext>`, then
  the record to `raw/<id>.source.json`, then the staging folder is removed. A folder left by a crash
  is rolled forward when it holds `commit.json`, else rolled back to the inbox, on the next scan.
  So `raw/` never keeps a video without its record, and a record implies a partition (the sensor
  adds a partition for every record that lacks one).
- Any other failure (a full disk, an unreadable file) rolls the claim back to the inbox and reports
  "failed"; an unexpected exception quarantines the file with the exception as its reason. One file
  never stops the others.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel

from vitra_core.errors import InvalidVideoError
from vitra_core.fsutil import file_lock
from vitra_core.layout import DataLayout
from vitra_core.video.frames import iter_frames
from vitra_core.video.identity import video_id_from_sha256
from vitra_core.video.intrinsics import DEFAULT_FOV_DEG, resolve_intrinsics
from vitra_core.video.probe import (
    MediaLimits,
    VideoProbe,
    check_decodes,
    check_limits,
    probe_video,
)
from vitra_core.video.quarantine import display_name, now_iso, printable
from vitra_core.video.sidecar import VideoSidecar, parse_sidecar
from vitra_core.video.staging import (
    STAGING_DIR,
    Claim,
    SourceRecord,
    claim_lock,
    copy_hashing,
    file_fingerprint,
    recover_staging,
)

__all__ = ["IngestOutcome", "SourceRecord", "inbox_lock", "ingest_file", "pending_inbox_files", "scan_inbox"]

_CONTAINER_SUFFIX = {"gif": ".gif", "webm": ".webm", "matroska": ".mkv", "mov": ".mp4", "avi": ".avi"}


class IngestOutcome(BaseModel):
    source_name: str
    status: Literal["new", "duplicate", "quarantined", "failed"]
    video_id: str | None = None
    reason: str | None = None


class _Unsettled(Exception):
    """The claimed file changed while it was being copied: a writer is still at work."""


def _stored_suffix(name: str, probe: VideoProbe) -> str:
    suffix = Path(name).suffix.lower()
    if suffix and len(suffix) <= 10 and suffix[1:].isalnum() and suffix.isascii():
        return suffix
    first = probe.container.split(",")[0]
    return _CONTAINER_SUFFIX.get(first, f".{first}")


def _check_first_frame(path: Path) -> None:
    """Decode the first frame: catches files whose header probes fine but whose data is garbage."""
    for _ in iter_frames(path, max_frames=1):
        return


def _validated_sidecar(claim: Claim, probe: VideoProbe) -> VideoSidecar | None:
    """The claim's sidecar, checked by the same validator as every later use, against the video's size."""
    if claim.sidecar is None:
        return None
    origin = claim.sidecar_origin
    try:
        spec = parse_sidecar(claim.sidecar)
    except InvalidVideoError as exc:
        raise InvalidVideoError(origin, exc.reason) from exc
    try:
        resolve_intrinsics(probe.width, probe.height, spec, DEFAULT_FOV_DEG, probe.rotation_deg)
    except ValueError as exc:
        detail = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
        raise InvalidVideoError(origin, f"sidecar is implausible for the {probe.width}x{probe.height} video: {detail}") from exc
    return spec


def _store_claimed(claim: Claim, layout: DataLayout, limits: MediaLimits, expected: tuple[int, int, int] | None) -> IngestOutcome:
    origin = claim.origin
    st = os.lstat(claim.source)
    if not stat.S_ISREG(st.st_mode):
        what = f"a symbolic link (to {os.readlink(claim.source)!r})" if stat.S_ISLNK(st.st_mode) else "not a plain file"
        raise InvalidVideoError(origin, f"{what}: only regular files are ingested")
    if expected is not None and file_fingerprint(st)[:2] != expected[:2]:
        raise _Unsettled()
    sha = copy_hashing(claim.source, claim.stored)
    if file_fingerprint(os.lstat(claim.source))[:2] != file_fingerprint(st)[:2]:
        raise _Unsettled()
    try:
        probe = probe_video(claim.stored)
        check_limits(claim.stored, probe, limits)
        _check_first_frame(claim.stored)
        check_decodes(claim.stored, limits)
    except InvalidVideoError as exc:
        raise InvalidVideoError(origin, exc.reason) from exc
    spec = _validated_sidecar(claim, probe)
    video_id = video_id_from_sha256(sha)
    if layout.raw_video(video_id) is not None and layout.source_record(video_id).exists():
        claim.discard()
        return IngestOutcome(source_name=claim.name, status="duplicate", video_id=video_id)
    existing = layout.raw_video(video_id)
    raw_file = existing.name if existing is not None else f"{video_id}{_stored_suffix(claim.name, probe)}"
    record = SourceRecord(
        video_id=video_id, sha256=sha, source_name=claim.name, size_bytes=probe.size_bytes,
        ingested_at=now_iso(), sidecar=spec,
    )
    if existing is not None:  # stored by an older version that crashed before its record: keep those bytes
        claim.stored.unlink()
    claim.commit(layout, raw_file, record)
    return IngestOutcome(source_name=claim.name, status="new", video_id=video_id)


def ingest_file(
    path: Path, layout: DataLayout, limits: MediaLimits | None = None, expected: tuple[int, int, int] | None = None
) -> IngestOutcome:
    """File one inbox entry: store it under its content id, drop a duplicate, or quarantine it.

    `expected` is the (size, mtime, inode) the file had when it was found settled; if it differs when
    claimed or after copying, the file is still being written and goes back to the inbox.
    """
    limits = limits or MediaLimits()
    name = display_name(path)
    folder = layout.root / STAGING_DIR / secrets.token_hex(8)
    with claim_lock(folder):  # held from before the claim exists, so recovery never takes a live one
        claim = Claim.take(Path(path), folder)
        try:
            return _store_claimed(claim, layout, limits, expected)
        except InvalidVideoError as exc:
            reason = printable(exc.reason if exc.path == claim.origin else str(exc))
            claim.to_quarantine(reason, layout)
            return IngestOutcome(source_name=name, status="quarantined", reason=f"{name}: {reason}")
        except _Unsettled:
            claim.roll_back()
            return IngestOutcome(source_name=name, status="failed",
                                 reason=f"{name}: changed while being ingested (still being written); left in the inbox")
        except OSError as exc:
            if claim.commit_file.exists():  # checked and half committed: the next scan finishes it
                return IngestOutcome(source_name=name, status="failed",
                                     reason=printable(f"{name}: {exc}; its commit is finished by the next scan"))
            claim.roll_back()
            return IngestOutcome(source_name=name, status="failed", reason=printable(f"{name}: {exc}; left in the inbox"))
        except Exception as exc:  # a bug or a hostile input nothing above anticipated: never retried forever
            if claim.commit_file.exists():
                raise
            reason = printable(f"unexpected {type(exc).__name__} while ingesting: {exc}")
            claim.to_quarantine(reason, layout)
            return IngestOutcome(source_name=name, status="quarantined", reason=f"{name}: {reason}")


def pending_inbox_files(
    inbox: Path, settle_s: float, now: float | None = None, ready: frozenset[Path] = frozenset()
) -> list[Path]:
    """Inbox entries ready for ingestion: not hidden, not sidecars, not folders, untouched for `settle_s` seconds.

    Entries in `ready` (files `vitra ingest` itself put there atomically) need no settle time. Links
    and other non-regular entries are listed too, so that they are refused with a reason.
    """
    if not inbox.is_dir():
        return []
    now = time.time() if now is None else now
    found = []
    for path in sorted(inbox.iterdir()):
        if path.name.startswith(".") or path.suffix == ".json":
            continue
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            continue
        if path in ready or now - st.st_mtime >= settle_s:
            found.append(path)
    return found


@contextmanager
def inbox_lock(layout: DataLayout) -> Iterator[None]:
    """Serialise inbox scans (sensor ticks and CLI calls may overlap)."""
    with file_lock(layout.root / ".inbox.lock"):
        yield


def scan_inbox(
    inbox: Path, layout: DataLayout, settle_s: float, max_files: int,
    limits: MediaLimits | None = None, ready: frozenset[Path] = frozenset(),
) -> list[IngestOutcome]:
    """Recover interrupted claims, then ingest up to `max_files` settled inbox files.

    A file that fails for a reason other than its content (a full disk, permissions) stays in the
    inbox, reported as "failed", and is retried next time; whatever happens, the other files go on.
    """
    outcomes = []
    with inbox_lock(layout):
        recover_staging(layout)
        for path in pending_inbox_files(inbox, settle_s, ready=ready)[:max_files]:
            try:
                expected = None if path in ready else file_fingerprint(os.lstat(path))
                outcomes.append(ingest_file(path, layout, limits, expected))
            except Exception as exc:
                name = display_name(path)
                outcomes.append(IngestOutcome(source_name=name, status="failed", reason=printable(f"{name}: {exc}")))
    return outcomes
