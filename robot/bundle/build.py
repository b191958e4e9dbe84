"""Build a signed policy bundle from a saved `VLAPolicy` folder and its lineage."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from robot.bundle.archive import write_archive
from robot.bundle.manifest import MANIFEST_NAME, POLICY_DIR, SIGNATURE_NAME, BundleLineage, BundleManifest, sha256_hex
from robot.bundle.signing import sign


def build_bundle(policy_dir: Path, lineage: BundleLineage, private_key: Ed25519PrivateKey, out: Path) -> Path:
    """Write the bundle of the policy in `policy_dir` to `out` (atomically) and return `out`.

    The policy is loaded first (JSON + safetensors only), so a folder that is not a loadable
    `VLAPolicy` fails here rather than at the controller; its spec and normaliser go into the manifest.
    """
    from vitra_core.model import VLAPolicy  # torch: only when a bundle is built

    policy_dir = Path(policy_dir)
    policy = VLAPolicy.load(policy_dir)
    files = {f"{POLICY_DIR}/{name}": (policy_dir / name).read_bytes() for name in VLAPolicy.FILES}
    manifest = BundleManifest(
        created_at=datetime.now(timezone.utc),
        lineage=lineage,
        spec=policy.spec,
        normaliser=policy.normaliser,
        files={name: sha256_hex(data) for name, data in files.items()},
    )
    manifest_bytes = manifest.to_bytes()
    members = {**files, MANIFEST_NAME: manifest_bytes, SIGNATURE_NAME: sign(manifest_bytes, private_key)}
    return write_archive(members, out)
