"""Signed policy bundles: manifest schema, build, sign, verify, and the controller's bundle store.

    build_bundle(policy_dir, lineage, private_key, out) -> out       (the Dagster asset and `vitra bundle build`)
    verify_archive(data, trusted_keys, max_bytes) -> VerifiedBundle  (size, paths, signature, hashes, schema)
"""

from robot.bundle.build import build_bundle
from robot.bundle.errors import BundleRejected
from robot.bundle.manifest import BundleLineage, BundleManifest
from robot.bundle.signing import load_private_key, load_public_key, load_trusted_keys, write_keypair
from robot.bundle.store import BundleStore, NothingToRollBack
from robot.bundle.verify import VerifiedBundle, verify_archive, verify_members

__all__ = [
    "BundleLineage", "BundleManifest", "BundleRejected", "BundleStore", "NothingToRollBack", "VerifiedBundle",
    "build_bundle", "load_private_key", "load_public_key", "load_trusted_keys", "verify_archive", "verify_members",
    "write_keypair",
]
