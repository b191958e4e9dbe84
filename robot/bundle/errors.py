"""Why a bundle was refused: the check that failed and a one-line reason."""

from __future__ import annotations

from vitra_core.errors import VitraError


class BundleRejected(VitraError):
    """A bundle failed `check` (size, paths, signature, hashes, schema, compatibility, smoke) for `reason`.

    The controller answers it as HTTP 4xx {"error": reason, "check": check} and keeps its policy.
    """

    def __init__(self, check: str, reason: str):
        self.check = check
        self.reason = reason
        super().__init__(f"bundle refused by the {check} check: {reason}")
