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

import hashlib
import json
import os
import secrets
import shutil
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel

from vitra_core.errors import InvalidVideoError
from vitra_core.fsutil import atomic_path, file_lock, write_json_atomic, write_text_atomic
from vitra_core.layout import DataLayout
from vitra_core.video.frames import iter_frames
from vitra_core.video.identity import video_id_from_sha256
from vitra_core.video.intrinsics import DEFAULT_FOV_DEG, resolve_intrinsics
from vitra_core.video.probe import MediaLimits, VideoProbe, check_decodes, check_limits, probe_video
from vitra_core.video.sidecar import VideoSidecar, find_sidecar, parse_sidecar

_CONTAINER_SUFFIX = {"gif": ".gif", "webm": ".webm", "matroska": ".mkv", "mov": ".mp4", "avi": ".avi"}
_STAGING = ".ingest"
_MAX_NAME_BYTES = 120  # quarantine names: room for ".reason.txt", ".json" and a counter under NAME_MAX (255)
_CHUNK_BYTES = 1 << 20


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


class _Unsettled(Exception):
    """The claimed file changed while it was being copied: a writer is still at work."""


def printable(text: str) -> str:
    """`text` with any undecodable file-name bytes (lone surrogates) shown as `\\xNN`, safe to print and store."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def display_name(path: Path) -> str:
    """A file name as text that can always be printed and stored (undecodable bytes as `\\xNN`)."""
    return printable(Path(path).name)


def safe_file_name(name: str, max_bytes: int = _MAX_NAME_BYTES) -> str:
    """`name` made short enough for derived names (`.reason.txt`) to fit; a long one keeps its suffix and a hash."""
    name = name.replace("/", "_").replace("\x00", "_") or "unnamed"
    if len(name.encode("utf-8", "surrogateescape")) <= max_bytes:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    suffix = Path(name).suffix if len(Path(name).suffix) <= 10 else ""
    keep = max_bytes - len(suffix) - len(digest) - 1
    stem = name.encode("utf-8", "surrogateescape")[:keep].decode("utf-8", "ignore")
    return f"{stem}~{digest}{suffix}"


def _stored_suffix(name: str, probe: VideoProbe) -> str:
    suffix = Path(name).suffix.lower()
    if suffix and len(suffix) <= 10 and suffix[1:].isalnum() and suffix.isascii():
        return suffix
    first = probe.container.split(",")[0]
    return _CONTAINER_SUFFIX.get(first, f".{first}")


def _move(source: Path, target: Path) -> None:
    """Rename when possible; across file systems copy atomically (a link as a link), then delete the source."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError:
        with atomic_path(target) as tmp:
            if source.is_symlink():
                tmp.unlink()
                os.symlink(os.readlink(source), tmp)
            else:
                shutil.copyfile(source, tmp)
            shutil.copystat(source, tmp)  # keeps the mtime, which tells a settled file from one being written
        source.unlink()


def _free_name(folder: Path, name: str) -> Path:
    candidate, n = folder / name, 1
    while os.path.lexists(candidate):
        stem, dot, ext = name.partition(".")
        candidate = folder / f"{stem}.{n}{dot}{ext}"
        n += 1
    return candidate


def quarantine(path: Path, reason: str, layout: DataLayout, sidecar: Path | None = None, shown_as: str | None = None) -> Path:
    """Move a rejected file (and its sidecar) to quarantine; the reason file is written first, beside it."""
    shown = shown_as or display_name(path)
    layout.quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(layout.quarantine_dir, safe_file_name(shown))
    write_text_atomic(
        target.with_name(target.name + ".reason.txt"),
        printable(f"{shown}: {reason}\nquarantined at {_now_iso()}\n"),
    )
    _move(path, target)
    if sidecar is not None and os.path.lexists(sidecar):
        _move(sidecar, target.with_name(target.name + ".json"))
    return target


def _check_first_frame(path: Path) -> None:
    """Decode the first frame: catches files whose header probes fine but whose data is garbage."""
    for _ in iter_frames(path, max_frames=1):
        return


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy `source` to `target` (fsynced) and return the SHA-256 of exactly the bytes written."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(_CHUNK_BYTES):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def _fingerprint(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ino


@dataclass
class _Claim:
    """A staging folder holding one claimed inbox file: `source`, maybe `sidecar.json`, and what to do next."""

    folder: Path
    origin: Path  # where the file was in the inbox
    sidecar_origin: Path | None

    @property
    def source(self) -> Path:
        return self.folder / "source"

    @property
    def sidecar(self) -> Path | None:
        return self.folder / "sidecar.json" if self.sidecar_origin is not None else None

    @property
    def stored(self) -> Path:
        return self.folder / "stored"

    @property
    def commit_file(self) -> Path:
        return self.folder / "commit.json"

    @property
    def name(self) -> str:
        return display_name(self.origin)

    @classmethod
    def take(cls, path: Path, folder: Path) -> "_Claim":
        """Write the claim into `folder`, then rename the file (and its sidecar) out of the inbox."""
        folder.mkdir(parents=True)
        sidecar = find_sidecar(path)
        claim = cls(folder, path, sidecar)
        # json escapes lone surrogates, so a non-UTF-8 name round-trips to the same bytes
        (folder / "claim.json").write_text(json.dumps({"origin": str(path), "sidecar": sidecar and str(sidecar)}))
        try:
            if sidecar is not None:
                _move(sidecar, claim.sidecar)
            _move(path, claim.source)
        except BaseException:
            claim.roll_back()
            raise
        return claim

    @classmethod
    def load(cls, folder: Path) -> "_Claim | None":
        try:
            data = json.loads((folder / "claim.json").read_text())
        except (OSError, ValueError):
            return None
        return cls(folder, Path(data["origin"]), data["sidecar"] and Path(data["sidecar"]))

    def roll_back(self) -> None:
        """Put the file and its sidecar back where they were in the inbox (under a free name if taken)."""
        for staged, origin in ((self.source, self.origin), (self.sidecar, self.sidecar_origin)):
            if staged is not None and origin is not None and os.path.lexists(staged):
                _move(staged, origin if not os.path.lexists(origin) else _free_name(origin.parent, origin.name))
        self.discard()

    def to_quarantine(self, reason: str, layout: DataLayout) -> None:
        quarantine(self.source, reason, layout, self.sidecar, shown_as=self.name)
        self.discard()

    def commit(self, layout: DataLayout, raw_file: str, record: SourceRecord) -> None:
        write_json_atomic(self.commit_file, {"raw_file": raw_file, "record": record.model_dump(mode="json")})
        self.roll_forward(layout)

    def roll_forward(self, layout: DataLayout) -> None:
        """Finish a commit: the stored copy into `raw/`, then its record; then forget the claim."""
        data = json.loads(self.commit_file.read_text())
        record = SourceRecord.model_validate(data["record"])
        layout.raw_dir.mkdir(parents=True, exist_ok=True)
        if self.stored.exists():
            os.replace(self.stored, layout.raw_dir / data["raw_file"])
        if not layout.source_record(record.video_id).exists():
            write_json_atomic(layout.source_record(record.video_id), record)
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def _claim_lock(folder: Path, blocking: bool = True) -> Iterator[bool]:
    with file_lock(folder.parent / f"{folder.name}.lock", blocking) as held:
        yield held
    if held:
        (folder.parent / f"{folder.name}.lock").unlink(missing_ok=True)


def recover_staging(layout: DataLayout) -> int:
    """Finish or undo claims left by a crashed ingestion; return how many were found.

    A claim with `commit.json` is rolled forward (it passed every check); any other is rolled back
    to the inbox, where it will be ingested again. Claims held by a live process are left alone.
    """
    root = layout.root / _STAGING
    if not root.is_dir():
        return 0
    found = 0
    for lock in root.glob("*.lock"):  # a lock whose claim is gone: left by a crash after the claim was finished
        if not lock.with_suffix("").is_dir():
            with _claim_lock(lock.with_suffix(""), blocking=False):
                pass
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        with _claim_lock(folder, blocking=False) as held:
            if not held:
                continue
            found += 1
            claim = _Claim.load(folder)
            if claim is None:  # crashed before the claim was written: nothing was moved yet
                shutil.rmtree(folder, ignore_errors=True)
            elif claim.commit_file.exists():
                claim.roll_forward(layout)
            else:
                claim.roll_back()
    return found


def _validated_sidecar(claim: _Claim, probe: VideoProbe) -> VideoSidecar | None:
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


def _store_claimed(claim: _Claim, layout: DataLayout, limits: MediaLimits, expected: tuple[int, int, int] | None) -> IngestOutcome:
    origin = claim.origin
    st = os.lstat(claim.source)
    if not stat.S_ISREG(st.st_mode):
        what = f"a symbolic link (to {os.readlink(claim.source)!r})" if stat.S_ISLNK(st.st_mode) else "not a plain file"
        raise InvalidVideoError(origin, f"{what}: only regular files are ingested")
    if expected is not None and _fingerprint(st)[:2] != expected[:2]:
        raise _Unsettled()
    sha = _copy_hashing(claim.source, claim.stored)
    if _fingerprint(os.lstat(claim.source))[:2] != _fingerprint(st)[:2]:
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
        ingested_at=_now_iso(), sidecar=spec,
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
    folder = layout.root / _STAGING / secrets.token_hex(8)
    with _claim_lock(folder):  # held from before the claim exists, so recovery never takes a live one
        claim = _Claim.take(Path(path), folder)
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
                expected = None if path in ready else _fingerprint(os.lstat(path))
                outcomes.append(ingest_file(path, layout, limits, expected))
            except Exception as exc:
                name = display_name(path)
                outcomes.append(IngestOutcome(source_name=name, status="failed", reason=printable(f"{name}: {exc}")))
    return outcomes
