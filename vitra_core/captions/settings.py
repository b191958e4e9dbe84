"""Settings of the captions stage: which captioner writes the instructions, and how it is reached."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CaptionerSettings(BaseModel):
    """`backend` picks the captioner; every backend falls back to the offline template one on failure."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["template", "transformers", "openai"] = "template"
    model_path: str | None = Field(None, description="transformers: a local folder (or hub id if the cache has it)")
    model: str | None = Field(None, description="openai: the model name sent with each request")
    base_url: str | None = Field(None, description="openai: endpoint root, POSTs go to {base_url}/chat/completions")
    api_key_env: str | None = Field(
        "OPENAI_API_KEY", description="openai: environment variable holding the bearer token (unset: no header)"
    )
    timeout_s: float = Field(30.0, gt=0, description="openai: seconds to wait for one reply")
    num_frames: int = Field(3, ge=1, le=16, description="transformers: frames of the segment shown to the model")
    max_new_tokens: int = Field(160, ge=4, le=1024, description="transformers / openai: longest reply, in tokens")
    max_consecutive_failures: int = Field(
        3, ge=1, description="after this many failures in a row the backend is skipped for the rest of the video"
    )

    @model_validator(mode="after")
    def _backend_has_its_fields(self) -> "CaptionerSettings":
        if self.backend == "transformers" and not self.model_path:
            raise ValueError("backend 'transformers' needs model_path")
        if self.backend == "openai" and not (self.base_url and self.model):
            raise ValueError("backend 'openai' needs base_url and model")
        return self
