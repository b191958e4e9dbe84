"""The captions stage's file schema: per video, one instruction (and rephrasings) per segment, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vitra_core.errors import VitraError
from vitra_core.fsutil import write_json_atomic
from vitra_core.segments.model import HandName

SCHEMA_VERSION = 1


class CaptionsFileError(VitraError):
    """A stored captions file cannot be read as this schema version."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class Caption(BaseModel):
    """The instruction of one segment (its hand and frames [start_frame, end_frame)), and who wrote it.

    `captioner` names the backend that produced `instruction` ("template", "transformers:<model>",
    "openai:<model>"); `fallback_reason` says why the configured backend was not used, else None.
    """

    model_config = ConfigDict(extra="forbid")

    hand: HandName
    start_frame: int = Field(ge=0)
    end_frame: int
    instruction: str = Field(min_length=1)
    rephrasings: list[str]
    captioner: str
    fallback_reason: str | None = None

    @model_validator(mode="after")
    def _distinct_rephrasings(self) -> "Caption":
        if len(set(self.rephrasings)) != len(self.rephrasings) or self.instruction in self.rephrasings:
            raise ValueError("rephrasings must differ from each other and from the instruction")
        return self


class VideoCaptions(BaseModel):
    """All captions of one video, in the order of its segments."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    video_id: str
    captions: list[Caption]

    def save(self, path: Path | str) -> None:
        """Write the JSON atomically (readers never see half a file)."""
        write_json_atomic(Path(path), self)

    @classmethod
    def load(cls, path: Path | str) -> "VideoCaptions":
        """Read a file written by `save`; raise CaptionsFileError if it is not this schema version."""
        try:
            raw = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise CaptionsFileError(path, f"not a readable JSON file ({exc})") from exc
        if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
            version = raw.get("schema_version") if isinstance(raw, dict) else None
            raise CaptionsFileError(path, f"schema version {version}, expected {SCHEMA_VERSION}")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise CaptionsFileError(path, f"does not match schema {SCHEMA_VERSION} ({exc.errors()[0]['msg']})") from exc
