"""Content addressing: a video's id is a prefix of the SHA-256 of its bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

VIDEO_ID_HEX_CHARS = 16
_CHUNK_BYTES = 1 << 20


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def video_id_from_sha256(sha256_hex: str) -> str:
    return sha256_hex[:VIDEO_ID_HEX_CHARS]
