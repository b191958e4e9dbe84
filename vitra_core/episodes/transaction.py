"""Crash-safe dataset updates: stage every new file, commit with one journal write, then rename into place.

Files are written under `<dataset>/.vitra_txn/` (outside data/, videos/ and meta/, so no reader sees
them). The commit point is the atomic write of `.vitra_txn/journal.json`, listing the renames and
deletions; applying it is idempotent. A failure before the commit leaves the previous dataset as it
was (the staging folder is dropped on the next open); after it, `recover` finishes the renames.
Writers hold an exclusive lock on `<dataset>/.vitra.lock`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from vitra_core.fsutil import write_bytes_atomic, write_json_atomic

STAGING_DIR = ".vitra_txn"
JOURNAL = "journal.json"
LOCK_FILE = ".vitra.lock"


class Transaction:
    """Collects staged files (by their final relative path) and deletions; `commit` makes them real."""

    def __init__(self, root: Path):
        self.root = root
        self.staging = root / STAGING_DIR
        self.moves: dict[str, str] = {}
        self.deletes: set[str] = set()

    def stage_path(self, relative: str) -> Path:
        """Where to write the new content of `relative`; it replaces that file on commit."""
        staged = f"{STAGING_DIR}/files/{relative}"
        self.moves[relative] = staged
        self.deletes.discard(relative)
        path = self.root / staged
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def scratch_path(self, relative: str) -> Path:
        """A working file inside the staging folder that never becomes part of the dataset."""
        path = self.staging / "scratch" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def stage_bytes(self, relative: str, data: bytes) -> None:
        write_bytes_atomic(self.stage_path(relative), data)

    def delete(self, relative: str) -> None:
        if relative not in self.moves:
            self.deletes.add(relative)

    def commit(self) -> None:
        """Meta files move last and meta/info.json very last, so data files are in place before meta names them."""
        order = sorted(self.moves, key=lambda rel: (rel.startswith("meta/"), rel == "meta/info.json", rel))
        journal = {"moves": [[self.moves[rel], rel] for rel in order], "deletes": sorted(self.deletes)}
        write_json_atomic(self.staging / JOURNAL, journal)
        _apply(self.root)


def _apply(root: Path) -> None:
    journal = json.loads((root / STAGING_DIR / JOURNAL).read_text())
    for staged, final in journal["moves"]:
        source, target = root / staged, root / final
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for relative in journal["deletes"]:
        (root / relative).unlink(missing_ok=True)
    for relative in journal["deletes"]:
        _remove_empty_parents(root / relative, root)
    shutil.rmtree(root / STAGING_DIR)


def _remove_empty_parents(path: Path, root: Path) -> None:
    for parent in path.parents:
        if parent == root or not parent.is_dir() or any(parent.iterdir()):
            break
        parent.rmdir()


def recover(root: Path | str) -> str:
    """Finish a committed update or drop an uncommitted one; returns "rolled_forward", "rolled_back" or "clean"."""
    root = Path(root)
    staging = root / STAGING_DIR
    if (staging / JOURNAL).exists():
        _apply(root)
        return "rolled_forward"
    if staging.exists():
        shutil.rmtree(staging)
        return "rolled_back"
    return "clean"


@contextmanager
def writing(root: Path | str) -> Iterator[Transaction]:
    """Lock the dataset, recover any interrupted update, and yield a transaction for this one.

    If the body raises before `commit`, the staged files are removed and the dataset is untouched.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            recover(root)
            txn = Transaction(root)
            try:
                yield txn
            except BaseException:
                if not (txn.staging / JOURNAL).exists():
                    shutil.rmtree(txn.staging, ignore_errors=True)
                raise
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
