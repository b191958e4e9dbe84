"""Ed25519 keys and signatures for policy bundles (`cryptography`).

The private key stays with whoever builds bundles (CI, the Dagster asset); the controller holds only
public keys it trusts. Keys are PEM files: PKCS#8 private (written 0600), SubjectPublicKeyInfo public.
A key's id is a prefix of the SHA-256 of its raw 32 bytes, so logs and /policy can say which key signed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from robot.bundle.manifest import sha256_hex
from vitra_core.errors import FileError
from vitra_core.fsutil import atomic_path, write_bytes_atomic

PRIVATE_KEY_NAME = "bundle_signing_key.pem"
PUBLIC_KEY_NAME = "bundle_signing_key.pub.pem"
KEY_ID_HEX_CHARS = 16


class KeyFileError(FileError):
    """A key file is missing or is not an Ed25519 key in PEM."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256_hex(raw)[:KEY_ID_HEX_CHARS]


def write_keypair(out_dir: Path) -> tuple[Path, Path]:
    """A new key pair in `out_dir`: (private PEM, public PEM). Refuses to overwrite an existing private key."""
    out_dir = Path(out_dir)
    private_path, public_path = out_dir / PRIVATE_KEY_NAME, out_dir / PUBLIC_KEY_NAME
    if private_path.exists():
        raise KeyFileError(private_path, "exists already; move it away to make a new key pair")
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with atomic_path(private_path) as tmp:
        os.chmod(tmp, 0o600)
        tmp.write_bytes(private_pem)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write_bytes_atomic(public_path, public_pem)
    return private_path, public_path


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise KeyFileError(path, f"cannot be read ({exc.strerror})") from exc


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(_read(path), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(path, f"is not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(path, f"holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(_read(path))
    except ValueError as exc:
        raise KeyFileError(path, f"is not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(path, f"holds a {type(key).__name__}, not an Ed25519 public key")
    return key


def load_trusted_keys(paths: Iterable[Path]) -> dict[str, Ed25519PublicKey]:
    """key id -> public key, for every file in `paths`."""
    keys = [load_public_key(path) for path in paths]
    return {key_id(key): key for key in keys}


def sign(data: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """The 64-byte Ed25519 signature of `data`."""
    return private_key.sign(data)


def signing_key_id(data: bytes, signature: bytes, trusted: dict[str, Ed25519PublicKey]) -> str | None:
    """The id of the trusted key whose signature `signature` is over `data`, or None if none is."""
    for kid, public_key in trusted.items():
        try:
            public_key.verify(signature, data)
        except InvalidSignature:
            continue
        return kid
    return None
