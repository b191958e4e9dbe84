"""Commit a `dvc.yaml` stage whose deps and outs are folders in time that follows what changed, not their size.

`dvc commit` hashes every file of every folder dep and out through DVC's state database and rebuilds each
`.dir` manifest (~0.6 ms per file: seconds per commit once a corpus has thousands of per-video files). Here
each folder is scanned with `os.scandir` (a stat per file), a file whose (size, mtime_ns, inode) match the
listing saved at the previous commit keeps its md5, the others are hashed; the manifest is written as DVC
writes it (same bytes, same `.dir` hash; the tests compare with DVC's own commit). New out objects and the
manifest go into the cache and to the remote, and `dvc.lock` gets the values `dvc commit` records. The listing
lives in `.dvc/tmp/vitra-listings/`; when it is missing or `dvc.lock` no longer matches it (a manual `dvc
commit` or `dvc repro`), the caller commits with DVC itself and a new listing is saved only if hashing every
file here gives DVC's very hashes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

CHUNK_BYTES = 1 << 20


def _md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(folder: str) -> dict[str, list[int]]:
    """relpath (posix) -> [size, mtime_ns, inode] of every file under `folder`."""
    out, pending, prefix = {}, [folder], len(folder) + 1
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                else:
                    stat = entry.stat()
                    out[entry.path[prefix:]] = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    return out


def scan(folder: Path, previous: dict[str, list]) -> tuple[dict[str, list], list[str]]:
    """The folder's listing (relpath -> [size, mtime_ns, inode, md5]) and the relpaths hashed anew."""
    listing, hashed = {}, []
    for relpath, stat in _walk(str(folder)).items():
        old = previous.get(relpath)
        if old is not None and old[:3] == stat:
            listing[relpath] = old
        else:
            listing[relpath] = stat + [_md5(str(folder / relpath))]
            hashed.append(relpath)
    return listing, hashed


def manifest(listing: dict[str, list]) -> tuple[str, bytes]:
    """The `.dir` object of a listing and its hash, as DVC writes them (dvc_data's `Tree.as_bytes`: entries
    sorted by relpath, JSON with sorted keys; hash = md5 of those bytes + ".dir")."""
    entries = [{"md5": listing[relpath][3], "relpath": relpath} for relpath in sorted(listing)]
    data = json.dumps(entries, sort_keys=True).encode()
    return hashlib.md5(data).hexdigest() + ".dir", data


def lock_entry(path: str, oid: str, listing: dict[str, list]) -> dict:
    return {"path": path, "hash": "md5", "md5": oid, "size": sum(item[0] for item in listing.values()),
            "nfiles": len(listing)}


def listing_file(repo_root: Path, stage: str) -> Path:
    return repo_root / ".dvc" / "tmp" / "vitra-listings" / f"{stage}.json"


def load_listing(repo_root: Path, stage: str, push: bool) -> dict[str, dict] | None:
    """path -> listing saved at the stage's last commit, or None when there is none, dvc.lock disagrees, or
    that commit did not push and this one must (only DVC's push finds every object the remote lacks)."""
    saved, lock = listing_file(repo_root, stage), repo_root / "dvc.lock"
    if not saved.is_file() or not lock.is_file():
        return None
    stored = json.loads(saved.read_text())
    if push and not stored["pushed"]:
        return None
    locked = yaml.safe_load(lock.read_text()).get("stages", {}).get(stage, {})
    entries = locked.get("deps", []) + locked.get("outs", [])
    if {e["path"]: e.get("md5") for e in entries} != stored["md5"]:
        return None
    return stored["listings"]


def save_listing(repo_root: Path, stage: str, listings: dict[str, dict], trees: dict[str, str], pushed: bool) -> None:
    target = listing_file(repo_root, stage)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"md5": trees, "pushed": pushed, "listings": listings}))
    os.replace(tmp, target)


def write_lock(repo_root: Path, stage: str, deps: list[dict], outs: list[dict]) -> None:
    """Replace the stage's deps and outs in dvc.lock (the rest of the file as it was)."""
    lock = repo_root / "dvc.lock"
    content = yaml.safe_load(lock.read_text())
    content["stages"][stage].update(deps=deps, outs=outs) if deps else content["stages"][stage].update(outs=outs)
    tmp = lock.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(content, sort_keys=False))
    os.replace(tmp, lock)
