"""Bundles: build/verify round trip, each byte-level check in its order, and a crash-safe store."""

import io
import json
import stat
import tarfile

import pytest
from click.testing import CliRunner

from robot.bundle import (
    BundleManifest, BundleRejected, BundleStore, NothingToRollBack, build_bundle, verify_archive, verify_members,
)
from robot.bundle.archive import read_archive, write_archive
from robot.bundle.manifest import MANIFEST_NAME, POLICY_MEMBERS, SIGNATURE_NAME, bundle_id
from robot.bundle.signing import KeyFileError, sign, write_keypair
from robot.bundle.store import StorePointer
from robot.cli import bundle as bundle_cli
from vitra_core.model import VLAPolicy

from .conftest import NORMALISER, lineage

LIMIT = 10_000_000


def members_of(path) -> dict[str, bytes]:
    return read_archive(path.read_bytes(), LIMIT)


def tar_bytes(members: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> bytes:
    """A tar of `members` plus raw entries (links, folders) the bundle writer would never make."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return buffer.getvalue()


def resigned(members: dict[str, bytes], manifest_bytes: bytes, key) -> dict[str, bytes]:
    """A bundle whose manifest was edited and signed again with `key` (a trusted builder's mistake, not an attack)."""
    return {**members, MANIFEST_NAME: manifest_bytes, SIGNATURE_NAME: sign(manifest_bytes, key)}


def test_built_bundle_verifies_with_its_lineage_spec_normaliser_and_file_hashes(bundles, policy_dirs, keys):
    verified = verify_archive(bundles[0].read_bytes(), keys.trusted, LIMIT)
    manifest = verified.manifest
    assert manifest.lineage == lineage("1")
    assert manifest.lineage.extra == {"source_videos": ["3c0dffd0aa11bb22"]}
    assert manifest.spec == VLAPolicy.load(policy_dirs[0]).spec
    assert manifest.normaliser == NORMALISER
    assert sorted(manifest.files) == sorted(POLICY_MEMBERS)
    assert verified.members["policy/model.safetensors"] == (policy_dirs[0] / "model.safetensors").read_bytes()
    assert verified.key_id in keys.trusted
    assert verified.bundle_id == bundle_id(verified.members[MANIFEST_NAME])


def test_tampered_weights_fail_the_hash_check(bundles, keys):
    members = members_of(bundles[0])
    weights = bytearray(members["policy/model.safetensors"])
    weights[-1] ^= 0xFF
    with pytest.raises(BundleRejected, match="model.safetensors has SHA-256") as caught:
        verify_members({**members, "policy/model.safetensors": bytes(weights)}, keys.trusted)
    assert caught.value.check == "hashes"


def test_a_signature_by_an_untrusted_key_fails_before_anything_else_is_read(bundles, keys, other_keys):
    members = resigned(members_of(bundles[0]), b"{not even json", other_keys.private_key())
    with pytest.raises(BundleRejected, match="trusted key") as caught:
        verify_members(members, keys.trusted)
    assert caught.value.check == "signature"


@pytest.mark.parametrize("manifest_bytes, message", [
    (b"{not json", "not valid JSON"),
    (b'{"files": {}}', "policy/config.json"),  # no hash for a file: a hash failure
])
def test_unreadable_manifests_are_refused(bundles, keys, manifest_bytes, message):
    members = resigned(members_of(bundles[0]), manifest_bytes, keys.private_key())
    with pytest.raises(BundleRejected, match=message) as caught:
        verify_members(members, keys.trusted)
    assert caught.value.check == ("schema" if b"not json" in manifest_bytes else "hashes")


@pytest.mark.parametrize("edit, where", [
    (lambda m: m.update(format_version=2), "format_version"),
    (lambda m: m.update(unexpected=True), "unexpected"),
    (lambda m: m["lineage"].pop("run_id"), "lineage.run_id"),
])
def test_a_signed_manifest_that_breaks_the_schema_fails_the_schema_check(bundles, keys, edit, where):
    members = members_of(bundles[0])
    manifest = json.loads(members[MANIFEST_NAME])
    edit(manifest)
    with pytest.raises(BundleRejected, match=where) as caught:
        verify_members(resigned(members, json.dumps(manifest).encode(), keys.private_key()), keys.trusted)
    assert caught.value.check == "schema"


def _link(name: str, target: str, kind=tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize("build, message", [
    (lambda m: tar_bytes({**m, "../escape.txt": b"x"}), "escapes the bundle folder"),
    (lambda m: tar_bytes({**m, "policy/../../escape.txt": b"x"}), "escapes the bundle folder"),
    (lambda m: tar_bytes({**m, "/etc/cron.d/evil": b"x"}), "absolute path"),
    (lambda m: tar_bytes({k: v for k, v in m.items() if k != "policy/config.json"},
                         [_link("policy/config.json", "/etc/passwd")]), "is a link"),
    (lambda m: tar_bytes({k: v for k, v in m.items() if k != "policy/config.json"},
                         [_link("policy/config.json", "policy/normaliser.json", tarfile.LNKTYPE)]), "is a link"),
    (lambda m: tar_bytes({**m, "policy/model.pkl": b"\x80\x04"}), "not a bundle file"),
    (lambda m: tar_bytes({k: v for k, v in m.items() if k != "policy/normaliser.json"}), "lacks policy/normaliser.json"),
    (lambda m: b"PK\x03\x04 a zip, not a tar", "not a readable uncompressed tar"),
])
def test_archive_paths_that_could_escape_or_smuggle_files_fail_the_paths_check(bundles, keys, build, message):
    with pytest.raises(BundleRejected, match=message) as caught:
        verify_archive(build(members_of(bundles[0])), keys.trusted, LIMIT)
    assert caught.value.check == "paths"


def test_size_is_checked_first(bundles, keys):
    data = bundles[0].read_bytes()
    with pytest.raises(BundleRejected, match=f"more than the limit of {len(data) - 1}") as caught:
        verify_archive(data, keys.trusted, len(data) - 1)
    assert caught.value.check == "size"


def test_the_same_members_give_the_same_archive_bytes(bundles, tmp_path):
    members = members_of(bundles[0])
    assert write_archive(members, tmp_path / "copy.tar").read_bytes() == bundles[0].read_bytes()


def _commit(store: BundleStore, bundle_path) -> str:
    members = members_of(bundle_path)
    bid = bundle_id(members[MANIFEST_NAME])
    store.commit(store.stage(members), bid)
    return bid


def test_store_keeps_the_newest_bundles_and_rolls_back_to_the_previous(bundles, keys, tmp_path, policy_dirs):
    store = BundleStore(tmp_path / "store", keep=2)
    first, second = _commit(store, bundles[0]), _commit(store, bundles[1])
    assert store.history == [second, first]
    third = _commit(store, build_bundle(policy_dirs[0], lineage("3"), keys.private_key(), tmp_path / "v3.tar"))
    assert store.history == [third, second]
    assert sorted(p.name for p in store.bundles_dir.iterdir()) == sorted([third, second])
    assert store.roll_back() == second and store.history == [second]
    assert not store.path(third).exists()
    with pytest.raises(NothingToRollBack, match="holds 1 bundle"):
        store.roll_back()
    verify_members(store.read_members(second), keys.trusted)


def test_store_recovers_one_consistent_state_after_a_crash_at_any_step(bundles, keys, tmp_path, monkeypatch):
    store = BundleStore(tmp_path / "store", keep=3)
    old = _commit(store, bundles[0])
    members = members_of(bundles[1])
    new = bundle_id(members[MANIFEST_NAME])

    store.stage(members)  # killed while staging or checking: staging debris only
    store.recover()
    assert store.history == [old] and not store.staging_dir.exists()

    def killed(*_args, **_kwargs):
        raise SystemExit("killed before the pointer was written")

    monkeypatch.setattr(StorePointer, "save", killed)  # killed after the rename into bundles/
    with pytest.raises(SystemExit):
        store.commit(store.stage(members), new)
    assert store.path(new).exists()
    monkeypatch.undo()
    (store.root / ".active.json.0123456789ab.part").write_text("{half a pointer")
    store.recover()
    assert store.history == [old]
    assert [p.name for p in store.bundles_dir.iterdir()] == [old]
    assert not list(store.root.glob("*.part")) and not list(store.root.glob(".*.part"))
    verify_members(store.read_members(old), keys.trusted)


def test_keygen_writes_a_private_key_only_its_owner_can_read_and_never_overwrites_it(tmp_path):
    private, public = write_keypair(tmp_path)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PUBLIC KEY" in public.read_bytes()
    with pytest.raises(KeyFileError, match="exists already"):
        write_keypair(tmp_path)


def test_cli_builds_and_verifies_a_bundle(policy_dirs, keys, tmp_path):
    lineage_path = tmp_path / "lineage.json"
    lineage_path.write_text(lineage("7").model_dump_json())
    out = tmp_path / "cli.tar"
    runner = CliRunner()
    built = runner.invoke(bundle_cli, ["build", "--policy-dir", str(policy_dirs[1]), "--lineage", str(lineage_path),
                                       "--key", str(keys.private), "--out", str(out)])
    assert built.exit_code == 0, built.output
    checked = runner.invoke(bundle_cli, ["verify", str(out), "--trusted-key", str(keys.public)])
    assert checked.exit_code == 0, checked.output
    assert BundleManifest.model_validate_json(checked.output.split("\n", 1)[1]).lineage.model_version == "7"
    refused = runner.invoke(bundle_cli, ["verify", str(out), "--trusted-key", str(keys.public), "--max-bytes", "100"])
    assert refused.exit_code == 1 and "size check" in refused.output
