"""Verified bundles on disk, the active one and the ones a rollback can return to.

Layout under `root`:

    bundles/<bundle id>/          manifest.json, manifest.sig, policy/...   (one folder per kept bundle)
    staging/                      folders being written; anything here after a restart is debris
    active.json                   {"schema_version": 1, "history": [active id, previous id, ...]}

Crash safety: a bundle is written in full under staging/, renamed into bundles/ (one rename), and
only then made active by rewriting active.json (write beside, fsync, rename). Killed at any point,
the store holds either the old pointer or the new one, and every id it names is a complete folder;
`recover()` deletes staging debris and folders no pointer names.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from robot.bundle.manifest import BUNDLE_MEMBERS
from vitra_core.errors import FileError
from vitra_core.records import JsonRecord

POINTER_NAME = "active.json"


class BundleStoreError(FileError):
    """The store's pointer or a kept bundle cannot be used."""


class NothingToRollBack(BundleStoreError):
    """Rollback asked for with fewer than two bundles in the history."""


class StorePointer(JsonRecord):
    """active.json: the active bundle first, then older ones, newest first."""

    SCHEMA_VERSION: ClassVar[int] = 1
    FILE_ERROR: ClassVar[type[FileError]] = BundleStoreError

    schema_version: int = 1
    history: list[str] = Field(default_factory=list)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BundleStore:
    """The bundles folder of one controller; keeps the active bundle and up to `keep - 1` older ones."""

    def __init__(self, root: Path, keep: int):
        if keep < 1:
            raise ValueError(f"a bundle store must keep at least 1 bundle, got keep={keep}")
        self.root = Path(root)
        self.keep = keep
        self.bundles_dir = self.root / "bundles"
        self.staging_dir = self.root / "staging"
        self.pointer_path = self.root / POINTER_NAME

    @property
    def history(self) -> list[str]:
        if not self.pointer_path.exists():
            return []
        return StorePointer.load(self.pointer_path).history

    @property
    def active_id(self) -> str | None:
        history = self.history
        return history[0] if history else None

    def path(self, bundle_id: str) -> Path:
        return self.bundles_dir / bundle_id

    def recover(self) -> None:
        """Delete what a killed deploy may have left: staging folders, temp files, unreferenced bundles."""
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        for leftover in self.root.glob(f".{POINTER_NAME}.*.part"):
            leftover.unlink(missing_ok=True)
        self._prune(self.history)

    def set_aside_pointer(self) -> Path:
        """Rename an unreadable active.json aside (kept for inspection) so the store starts empty; return where it went."""
        aside = self.root / f"{POINTER_NAME}.unreadable-{secrets.token_hex(4)}"
        os.replace(self.pointer_path, aside)
        return aside

    def stage(self, members: Mapping[str, bytes]) -> Path:
        """Write a verified bundle's members into a fresh staging folder (every file fsynced)."""
        staged = self.staging_dir / secrets.token_hex(8)
        for name in BUNDLE_MEMBERS:
            target = staged / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(members[name])
                handle.flush()
                os.fsync(handle.fileno())
        return staged

    def discard(self, staged: Path) -> None:
        shutil.rmtree(staged, ignore_errors=True)

    def commit(self, staged: Path, bundle_id: str) -> None:
        """Make the staged bundle `bundle_id` the active one; the oldest beyond `keep` are deleted.

        A bundle already kept under that id (same manifest, so same files) is reused as it is.
        """
        self.bundles_dir.mkdir(parents=True, exist_ok=True)
        target = self.path(bundle_id)
        if target.exists():
            self.discard(staged)
        else:
            os.replace(staged, target)
            _fsync_dir(self.bundles_dir)
        history = [bundle_id] + [kept for kept in self.history if kept != bundle_id]
        self._point_to(history[: self.keep])

    def roll_back(self) -> str:
        """Make the previous bundle active again, forgetting the current one; returns the new active id."""
        history = self.history
        if len(history) < 2:
            raise NothingToRollBack(self.pointer_path, f"holds {len(history)} bundle(s); a rollback needs a previous one")
        self._point_to(history[1:])
        return history[1]

    def read_members(self, bundle_id: str) -> dict[str, bytes]:
        """The files of a kept bundle by member name (to verify them again before loading)."""
        folder = self.path(bundle_id)
        try:
            return {name: (folder / name).read_bytes() for name in BUNDLE_MEMBERS}
        except OSError as exc:
            raise BundleStoreError(folder, f"kept bundle is incomplete ({exc.strerror}: {exc.filename})") from exc

    def _point_to(self, history: list[str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        StorePointer(history=history).save(self.pointer_path)
        self._prune(history)

    def _prune(self, keep_ids: list[str]) -> None:
        if not self.bundles_dir.is_dir():
            return
        for folder in self.bundles_dir.iterdir():
            if folder.name not in keep_ids:
                shutil.rmtree(folder, ignore_errors=True)
