"""Signed policy bundles: manifest schema, build, sign, verify, and the controller's bundle store.

    build_bundle(policy_dir, lineage, private_key, out) -> out       (the Dagster asset and `vitra bundle build`)
    verify_archive(data, trusted_keys, max_bytes) -> VerifiedBundle  (size, paths, signature, hashes, schema)
"""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "build": ["build_bundle"],
    "errors": ["BundleRejected"],
    "manifest": ["BundleLineage", "BundleManifest"],
    "signing": ["load_private_key", "load_public_key", "load_trusted_keys", "write_keypair"],
    "store": ["BundleStore", "NothingToRollBack"],
    "verify": ["VerifiedBundle", "verify_archive", "verify_members"],
})
