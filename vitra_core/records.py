"""Pydantic records stored one per JSON file, with a schema version that `load` insists on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ValidationError

from vitra_core.errors import FileError
from vitra_core.fsutil import write_json_atomic


class JsonRecord(BaseModel):
    """Subclasses set `SCHEMA_VERSION`, `FILE_ERROR` and a `schema_version` field defaulting to it."""

    SCHEMA_VERSION: ClassVar[int]
    FILE_ERROR: ClassVar[type[FileError]]

    def save(self, path: Path | str) -> None:
        """Write the JSON atomically (readers never see half a file)."""
        write_json_atomic(Path(path), self)

    @classmethod
    def load(cls, path: Path | str):
        """Read a file written by `save`; raise FILE_ERROR naming the file unless it is this schema version."""
        try:
            raw = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise cls.FILE_ERROR(path, f"not a readable JSON file ({exc})") from exc
        version = raw.get("schema_version") if isinstance(raw, dict) else None
        if version != cls.SCHEMA_VERSION:
            raise cls.FILE_ERROR(path, f"schema version {version}, expected {cls.SCHEMA_VERSION}")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise cls.FILE_ERROR(path, f"does not match schema {cls.SCHEMA_VERSION} ({exc.error_count()} errors: "
                                       f"{exc.errors()[0]['msg']})") from exc
