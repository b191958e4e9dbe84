"""The captions stage's file schema: per video, one instruction (and rephrasings) per segment, as JSON."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vitra_core.errors import FileError
from vitra_core.records import JsonRecord
from vitra_core.segments.model import HandName

SCHEMA_VERSION = 1


class CaptionsFileError(FileError):
    """A stored captions file cannot be read as this schema version."""


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


class VideoCaptions(JsonRecord):
    """All captions of one video, in the order of its segments."""

    model_config = ConfigDict(extra="forbid")

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    FILE_ERROR: ClassVar[type[FileError]] = CaptionsFileError

    schema_version: int = SCHEMA_VERSION
    video_id: str
    captions: list[Caption]
