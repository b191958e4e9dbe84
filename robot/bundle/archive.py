"""The bundle's container: an uncompressed tar of known regular files, read without trusting it.

Uncompressed on purpose: no decompression bomb can hide behind the size limit (a tar is never
smaller than its contents), and safetensors weights barely compress anyway. Reading never extracts
with `tarfile`'s own extractors: members are checked by name and type first, then read into memory.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Mapping
from pathlib import Path

from robot.bundle.errors import BundleRejected
from robot.bundle.manifest import BUNDLE_MEMBERS
from vitra_core.fsutil import atomic_path

SIZE_CHECK = "size"
PATHS_CHECK = "paths"


def write_archive(members: Mapping[str, bytes], out: Path) -> Path:
    """Write `members` (name -> bytes) as a tar at `out`, atomically; fixed order and metadata, so the
    same members give the same bytes."""
    with atomic_path(Path(out)) as tmp:
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(members):
                info = tarfile.TarInfo(name)
                info.size = len(members[name])
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(members[name]))
    return Path(out)


def _check_member(member: tarfile.TarInfo, seen: set[str]) -> None:
    name = member.name
    if posixpath.isabs(name):
        raise BundleRejected(PATHS_CHECK, f"member {name!r} is an absolute path")
    if ".." in name.split("/") or "\\" in name:
        raise BundleRejected(PATHS_CHECK, f"member {name!r} escapes the bundle folder")
    if member.issym() or member.islnk():
        raise BundleRejected(PATHS_CHECK, f"member {name!r} is a link (to {member.linkname!r})")
    if not member.isfile() or member.issparse():  # a sparse member could expand far beyond the archive's size
        raise BundleRejected(PATHS_CHECK, f"member {name!r} is not a regular file")
    if name not in BUNDLE_MEMBERS:
        raise BundleRejected(PATHS_CHECK, f"member {name!r} is not a bundle file (expected {', '.join(BUNDLE_MEMBERS)})")
    if name in seen:
        raise BundleRejected(PATHS_CHECK, f"member {name!r} appears twice")
    seen.add(name)


def read_archive(data: bytes, max_bytes: int) -> dict[str, bytes]:
    """Every member of the tar `data` by name, after the size check and the path checks.

    Raises BundleRejected("size") when `data` is larger than `max_bytes`, BundleRejected("paths")
    for an unreadable tar, an absolute or escaping name, a link, a non-file, an unknown, duplicate
    or missing member.
    """
    if len(data) > max_bytes:
        raise BundleRejected(SIZE_CHECK, f"bundle is {len(data)} bytes, more than the limit of {max_bytes}")
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            members = tar.getmembers()
            seen: set[str] = set()
            for member in members:
                _check_member(member, seen)
            contents = {member.name: tar.extractfile(member).read() for member in members}
    except tarfile.TarError as exc:
        raise BundleRejected(PATHS_CHECK, f"not a readable uncompressed tar archive ({exc})") from exc
    missing = [name for name in BUNDLE_MEMBERS if name not in contents]
    if missing:
        raise BundleRejected(PATHS_CHECK, f"bundle lacks {', '.join(missing)}")
    return contents
