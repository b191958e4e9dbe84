"""Quarantine: a rejected inbox file moves to `quarantine/` under a safe name, its reason written first beside it.

Also the file-name helpers every ingestion message uses: names may hold undecodable bytes and be too long
for the names derived from them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from vitra_core.fsutil import atomic_path, write_text_atomic
from vitra_core.layout import DataLayout

MAX_NAME_BYTES = 120  # quarantine names: room for ".reason.txt", ".json" and a counter under NAME_MAX (255)


def printable(text: str) -> str:
    """`text` with any undecodable file-name bytes (lone surrogates) shown as `\\xNN`, safe to print and store."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def display_name(path: Path) -> str:
    """A file name as text that can always be printed and stored (undecodable bytes as `\\xNN`)."""
    return printable(Path(path).name)


def safe_file_name(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """`name` made short enough for derived names (`.reason.txt`) to fit; a long one keeps its suffix and a hash."""
    name = name.replace("/", "_").replace("\x00", "_") or "unnamed"
    if len(name.encode("utf-8", "surrogateescape")) <= max_bytes:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    suffix = Path(name).suffix if len(Path(name).suffix) <= 10 else ""
    keep = max_bytes - len(suffix) - len(digest) - 1
    stem = name.encode("utf-8", "surrogateescape")[:keep].decode("utf-8", "ignore")
    return f"{stem}~{digest}{suffix}"


def move_file(source: Path, target: Path) -> None:
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


def free_name(folder: Path, name: str) -> Path:
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
    target = free_name(layout.quarantine_dir, safe_file_name(shown))
    write_text_atomic(
        target.with_name(target.name + ".reason.txt"),
        printable(f"{shown}: {reason}\nquarantined at {now_iso()}\n"),
    )
    move_file(path, target)
    if sidecar is not None and os.path.lexists(sidecar):
        move_file(sidecar, target.with_name(target.name + ".json"))
    return target
