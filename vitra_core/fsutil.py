"""Atomic file writes: write beside the target, fsync, then rename, so readers never see half a file."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto `target` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name[:32]}.{secrets.token_hex(6)}.part"  # short: a long target name still fits
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # unlike mkstemp, honours the umask
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: Path, text: str) -> None:
    write_bytes_atomic(target, text.encode("utf-8"))


def write_json_atomic(target: Path, payload: dict | list | BaseModel) -> None:
    if isinstance(payload, BaseModel):
        text = payload.model_dump_json(indent=2)
    else:
        text = json.dumps(payload, indent=2, sort_keys=True)
    write_text_atomic(target, text + "\n")


def copy_atomic(source: Path, target: Path) -> None:
    """Copy a file so that `target` appears complete or not at all."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


@contextmanager
def file_lock(path: Path, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive advisory lock on `path` (created if missing); yield False if `blocking` is off and it is taken.

    The lock belongs to this open file, so it is released when the holder exits, even by a crash.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish_dir(staging: Path, target: Path) -> None:
    """Move a fully written folder onto `target`, replacing what was there.

    Readers see the old folder or the new one: the old one is renamed aside before the new one is
    renamed in (both renames on one filesystem), and only then deleted.
    """
    target = Path(target)
    old = target.parent / f".{target.name}.{secrets.token_hex(6)}.old"
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
