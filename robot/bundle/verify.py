"""Checks on a bundle that need nothing but its bytes and the trusted keys, in the deploy order.

size and paths (`archive.read_archive`), then signature, hashes, schema here; compatibility with the
hand and the smoke inference are the controller's (they need the hand and the policy). The signature
is checked over manifest.json's raw bytes before anything in it is believed; the file hashes are
compared next, reading only the manifest's `files` table; the full schema comes last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from robot.bundle.archive import read_archive
from robot.bundle.errors import BundleRejected
from robot.bundle.manifest import MANIFEST_NAME, POLICY_MEMBERS, SIGNATURE_NAME, BundleManifest, bundle_id, sha256_hex
from robot.bundle.signing import signing_key_id

SIGNATURE_CHECK = "signature"
HASHES_CHECK = "hashes"
SCHEMA_CHECK = "schema"


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose signature, file hashes and manifest schema passed; `members` name -> bytes."""

    manifest: BundleManifest
    members: Mapping[str, bytes]
    key_id: str

    @property
    def bundle_id(self) -> str:
        return bundle_id(self.members[MANIFEST_NAME])


def _file_table(manifest_bytes: bytes) -> dict[str, str]:
    """The manifest's `files` table, read before the full schema check so hashes can be compared first.

    A manifest that is not JSON or has no such table fails as a schema problem: there is nothing to
    compare the hashes against.
    """
    try:
        raw = json.loads(manifest_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleRejected(SCHEMA_CHECK, f"{MANIFEST_NAME} is not valid JSON ({exc})") from exc
    files = raw.get("files") if isinstance(raw, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise BundleRejected(SCHEMA_CHECK, f"{MANIFEST_NAME} has no 'files' table of name -> SHA-256")
    return files


def verify_members(members: Mapping[str, bytes], trusted_keys: Mapping[str, Ed25519PublicKey]) -> VerifiedBundle:
    """Signature, then hashes, then schema of a complete set of bundle members (as `read_archive` returns)."""
    manifest_bytes = members[MANIFEST_NAME]
    kid = signing_key_id(manifest_bytes, members[SIGNATURE_NAME], dict(trusted_keys))
    if kid is None:
        known = ", ".join(trusted_keys) or "none configured"
        raise BundleRejected(SIGNATURE_CHECK, f"{SIGNATURE_NAME} is not a signature of {MANIFEST_NAME} by any of the "
                                              f"{len(trusted_keys)} trusted key(s) ({known})")
    files = _file_table(manifest_bytes)
    for name in POLICY_MEMBERS:
        if name not in files:
            raise BundleRejected(HASHES_CHECK, f"{MANIFEST_NAME} lists no hash for {name}")
        actual = sha256_hex(members[name])
        if actual != files[name]:
            raise BundleRejected(HASHES_CHECK, f"{name} has SHA-256 {actual[:16]}..., "
                                               f"the manifest says {files[name][:16]}...")
    try:
        manifest = BundleManifest.model_validate_json(manifest_bytes)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        reason = f"{MANIFEST_NAME}: {where}: {first['msg']} ({exc.error_count()} error(s))"
        raise BundleRejected(SCHEMA_CHECK, reason) from exc
    return VerifiedBundle(manifest, dict(members), kid)


def verify_archive(data: bytes, trusted_keys: Mapping[str, Ed25519PublicKey], max_bytes: int) -> VerifiedBundle:
    """All byte-level checks of an uploaded bundle, in order: size, paths, signature, hashes, schema."""
    return verify_members(read_archive(data, max_bytes), trusted_keys)

