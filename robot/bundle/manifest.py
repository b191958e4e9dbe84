"""The policy bundle's manifest: what was trained from what, what it consumes, and the hash of every file.

A bundle is one archive (see `archive.py`) holding

    manifest.json                 this model, as JSON (the bytes the signature covers)
    manifest.sig                  Ed25519 signature of manifest.json's bytes (64 bytes, raw)
    policy/config.json            the C1 `VLAPolicy.FILES`: JSON and safetensors only,
    policy/model.safetensors      so loading a bundle never unpickles anything
    policy/normaliser.json

`files` names every member but the manifest and its signature with its SHA-256, so a valid signature
over the manifest vouches for every byte of the bundle.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from vitra_core.model.config import POLICY_FILES, PolicySpec
from vitra_core.model.normaliser import Normaliser

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
POLICY_DIR = "policy"
POLICY_MEMBERS: tuple[str, ...] = tuple(f"{POLICY_DIR}/{name}" for name in POLICY_FILES)
BUNDLE_MEMBERS: tuple[str, ...] = (MANIFEST_NAME, SIGNATURE_NAME, *POLICY_MEMBERS)
BUNDLE_ID_HEX_CHARS = 16

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle_id(manifest_bytes: bytes) -> str:
    """A bundle's name: a prefix of its manifest's SHA-256 (the manifest pins every other file's hash)."""
    return sha256_hex(manifest_bytes)[:BUNDLE_ID_HEX_CHARS]


class BundleLineage(BaseModel):
    """Where a policy came from; the Dagster `deployed_policy` asset fills it from MLflow, DVC and git.

    `extra` is open (source video ids, evaluation figures, ...) and travels into the manifest as is.
    """

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(min_length=1)
    model_version: str = Field(min_length=1)
    run_id: str = Field(min_length=1, description="the MLflow run that produced the weights")
    dataset_dvc_md5: str = Field(min_length=1, description="DVC hash of the dataset it was trained on")
    git_commit: str = Field(min_length=1)
    extra: dict[str, Any] = Field(default_factory=dict)


class BundleManifest(BaseModel):
    """manifest.json. Strict: an unknown key or another format version is a schema failure."""

    model_config = ConfigDict(extra="forbid")

    format_version: Literal[1] = FORMAT_VERSION
    created_at: AwareDatetime = Field(description="when the bundle was built; deploys never go back in it unless forced")
    lineage: BundleLineage
    spec: PolicySpec
    normaliser: Normaliser
    files: dict[str, Sha256Hex] = Field(description="archive member name -> SHA-256 of its bytes, for every policy file")

    @field_validator("files")
    @classmethod
    def _names_every_policy_file(cls, files: dict[str, str]) -> dict[str, str]:
        if sorted(files) != sorted(POLICY_MEMBERS):
            raise ValueError(f"must list exactly {', '.join(POLICY_MEMBERS)}, got {', '.join(sorted(files)) or 'nothing'}")
        return files

    def to_bytes(self) -> bytes:
        """The canonical bytes written to manifest.json and signed."""
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")
