"""Ingestion's staging area: a claimed inbox file waits in `<data_root>/.ingest/<token>/` until it is committed
to `raw/`, quarantined or put back; `recover_staging` finishes or undoes what a crash left there.

The protocol (claim, copy while hashing, commit, roll forward or back) is described in `ingest.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel

from vitra_core.fsutil import file_lock, write_json_atomic
from vitra_core.layout import DataLayout
from vitra_core.video.quarantine import display_name, free_name, move_file, quarantine
from vitra_core.video.sidecar import VideoSidecar, find_sidecar

STAGING_DIR = ".ingest"
CHUNK_BYTES = 1 << 20


class SourceRecord(BaseModel):
    """Provenance of a stored source video (`raw/<id>.source.json`)."""

    video_id: str
    sha256: str
    source_name: str
    size_bytes: int
    ingested_at: str
    sidecar: VideoSidecar | None = None



def copy_hashing(source: Path, target: Path) -> str:
    """Copy `source` to `target` (fsynced) and return the SHA-256 of exactly the bytes written."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK_BYTES):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def file_fingerprint(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ino


@dataclass
class Claim:
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
    def take(cls, path: Path, folder: Path) -> "Claim":
        """Write the claim into `folder`, then rename the file (and its sidecar) out of the inbox."""
        folder.mkdir(parents=True)
        sidecar = find_sidecar(path)
        claim = cls(folder, path, sidecar)
        # json escapes lone surrogates, so a non-UTF-8 name round-trips to the same bytes
        (folder / "claim.json").write_text(json.dumps({"origin": str(path), "sidecar": sidecar and str(sidecar)}))
        try:
            if sidecar is not None:
                move_file(sidecar, claim.sidecar)
            move_file(path, claim.source)
        except BaseException:
            claim.roll_back()
            raise
        return claim

    @classmethod
    def load(cls, folder: Path) -> "Claim | None":
        try:
            data = json.loads((folder / "claim.json").read_text())
        except (OSError, ValueError):
            return None
        return cls(folder, Path(data["origin"]), data["sidecar"] and Path(data["sidecar"]))

    def roll_back(self) -> None:
        """Put the file and its sidecar back where they were in the inbox (under a free name if taken)."""
        for staged, origin in ((self.source, self.origin), (self.sidecar, self.sidecar_origin)):
            if staged is not None and origin is not None and os.path.lexists(staged):
                move_file(staged, origin if not os.path.lexists(origin) else free_name(origin.parent, origin.name))
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
def claim_lock(folder: Path, blocking: bool = True) -> Iterator[bool]:
    with file_lock(folder.parent / f"{folder.name}.lock", blocking) as held:
        yield held
    if held:
        (folder.parent / f"{folder.name}.lock").unlink(missing_ok=True)


def recover_staging(layout: DataLayout) -> int:
    """Finish or undo claims left by a crashed ingestion; return how many were found.

    A claim with `commit.json` is rolled forward (it passed every check); any other is rolled back
    to the inbox, where it will be ingested again. Claims held by a live process are left alone.
    """
    root = layout.root / STAGING_DIR
    if not root.is_dir():
        return 0
    found = 0
    for lock in root.glob("*.lock"):  # a lock whose claim is gone: left by a crash after the claim was finished
        if not lock.with_suffix("").is_dir():
            with claim_lock(lock.with_suffix(""), blocking=False):
                pass
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        with claim_lock(folder, blocking=False) as held:
            if not held:
                continue
            found += 1
            claim = Claim.load(folder)
            if claim is None:  # crashed before the claim was written: nothing was moved yet
                shutil.rmtree(folder, ignore_errors=True)
            elif claim.commit_file.exists():
                claim.roll_forward(layout)
            else:
                claim.roll_back()
    return found
