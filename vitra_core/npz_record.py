"""Records stored as one compressed .npz: plain arrays plus a JSON `meta` entry with a schema version.

Nothing is pickled, so any npz reader can open the files; `read_npz_record` refuses another schema
version or a malformed file with the caller's FileError subclass, naming the file.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from vitra_core.errors import FileError
from vitra_core.fsutil import write_bytes_atomic


def write_npz_record(path: Path | str, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write one compressed .npz atomically (readers never see half a file)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, meta=np.array(json.dumps(meta)), **arrays)
    write_bytes_atomic(Path(path), buffer.getvalue())


def read_npz_record(path: Path | str, schema_version: int, error: type[FileError],
                    what: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of a file written by `write_npz_record` with this schema version; `what` names the
    kind of file in errors ("hand-pose file")."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise error(path, f"not a readable .npz ({exc})") from exc
    if "meta" not in arrays:
        raise error(path, f"no 'meta' entry: not a {what}")
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except json.JSONDecodeError as exc:
        raise error(path, f"'meta' is not JSON ({exc})") from exc
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    if version != schema_version:
        raise error(path, f"schema version {version}, expected {schema_version}")
    return meta, arrays
