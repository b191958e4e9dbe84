import hashlib
import subprocess
import sys

import pytest
import yaml

from vitra_core.versioning.dvc_store import DvcError, DvcStore


def store_for(project) -> DvcStore:
    cfg = project.config
    return DvcStore(cfg.resolve(cfg.dvc.repo_root), cfg.dvc.remote_name, cfg.dvc_remote_url, cfg.dvc.push)


def test_commit_stage_records_outs_in_the_lock_file_and_pushes_them(tmp_project):
    out = tmp_project.root / "data" / "episodes"
    out.mkdir(parents=True)
    (out / "meta.json").write_text('{"episodes": 2}')
    (tmp_project.root / "dvc.yaml").write_text(
        "stages:\n  episodes:\n    cmd: vitra episodes build\n    outs:\n      - data/episodes:\n          persist: true\n"
    )
    hashes = store_for(tmp_project).commit_stage("episodes")
    assert list(hashes) == ["data/episodes"] and hashes["data/episodes"].endswith(".dir")
    assert hashes["data/episodes"] in (tmp_project.root / "dvc.lock").read_text()
    remote = tmp_project.root.parent / "dvc-remote" / "files" / "md5"
    digest = hashes["data/episodes"]
    assert (remote / digest[:2] / digest[2:]).exists()  # the directory manifest was pushed


def test_a_missing_stage_is_a_dvc_error_naming_it(tmp_project):
    (tmp_project.root / "dvc.yaml").write_text("stages: {}\n")
    with pytest.raises(DvcError, match="stage 'episodes'"):
        store_for(tmp_project).commit_stage("episodes")


def test_a_folder_that_is_not_a_dvc_repository_is_refused(tmp_path):
    with pytest.raises(DvcError, match="not a DVC repository"):
        DvcStore(tmp_path, "local", str(tmp_path / "remote"))


def test_track_writes_the_dvc_file_dvc_add_writes_and_pushes_the_source(tmp_project):
    raw = tmp_project.root / "data" / "raw"
    raw.mkdir(parents=True)
    ours, theirs = raw / "a.bin", raw / "b.bin"
    ours.write_bytes(b"same bytes")
    theirs.write_bytes(b"same bytes")
    (tracked,) = store_for(tmp_project).track([ours])
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", str(theirs)], cwd=tmp_project.root, check=True)
    assert ours.with_name("a.bin.dvc").read_text() == theirs.with_name("b.bin.dvc").read_text().replace("b.bin", "a.bin")
    assert tracked.md5 == hashlib.md5(b"same bytes").hexdigest() and tracked.size_bytes == 10
    remote = tmp_project.root.parent / "dvc-remote" / "files" / "md5"
    assert (remote / tracked.md5[:2] / tracked.md5[2:]).read_bytes() == b"same bytes"


def test_tracking_a_changed_file_again_records_and_pushes_its_new_content(tmp_project):
    source = tmp_project.root / "data" / "raw" / "a.bin"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"first")
    store = store_for(tmp_project)
    first = store.track([source])[0].md5
    source.write_bytes(b"second")
    second = store.track([source])[0].md5
    assert (first, second) == (hashlib.md5(b"first").hexdigest(), hashlib.md5(b"second").hexdigest())
    assert second in source.with_name("a.bin.dvc").read_text()
    _dvc(tmp_project, "remote", "add", "-d", "local", tmp_project.config.dvc_remote_url)
    assert "in sync" in _dvc(tmp_project, "status", "-c")


def test_a_file_inside_a_stage_output_is_refused_naming_the_output(tmp_project):
    inside = tmp_project.root / "data" / "episodes" / "meta.json"
    inside.parent.mkdir(parents=True)
    inside.write_text("{}")
    with pytest.raises(DvcError, match="overlaps DVC output"):
        store_for(tmp_project).track([inside])
    assert not inside.with_name("meta.json.dvc").exists()


def _dvc(project, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project.root, capture_output=True, text=True,
                          check=True).stdout


def test_a_stage_commit_after_changes_records_what_dvc_records_and_pushes_the_new_files(tmp_project):
    root = tmp_project.root
    (root / "dvc.yaml").write_text("stages:\n  episodes:\n    cmd: vitra episodes build\n    deps:\n      - data/captions\n"
                                   "    outs:\n      - data/episodes:\n          persist: true\n")
    dep, out = root / "data" / "captions", root / "data" / "episodes"
    for k in range(3):
        (dep / f"v{k}").mkdir(parents=True)
        (dep / f"v{k}" / "captions.json").write_text(f'{{"video": {k}}}')
        (out / "data").mkdir(parents=True, exist_ok=True)
        (out / "data" / f"file-{k:03d}.parquet").write_bytes(bytes([k]) * 100)
    store = store_for(tmp_project)
    store.commit_stage("episodes")  # DVC's own commit; the next one only hashes what changed
    listing = root / ".dvc" / "tmp" / "vitra-listings" / "episodes.json"
    assert listing.is_file()  # hashing every file here gave DVC's trees
    (dep / "v3").mkdir()
    (dep / "v3" / "captions.json").write_text('{"video": 3}')
    (out / "data" / "file-003.parquet").write_bytes(b"new source")
    (out / "data" / "file-000.parquet").unlink()
    ours = store.commit_stage("episodes")
    lock_ours = (root / "dvc.lock").read_text()
    listing.unlink()  # force DVC's full commit
    assert store.commit_stage("episodes") == ours
    assert yaml.safe_load((root / "dvc.lock").read_text()) == yaml.safe_load(lock_ours)
    assert yaml.safe_load(lock_ours)["stages"]["episodes"]["outs"][0]["nfiles"] == 3
    digest = hashlib.md5(b"new source").hexdigest()
    assert (root.parent / "dvc-remote" / "files" / "md5" / digest[:2] / digest[2:]).read_bytes() == b"new source"
    _dvc(tmp_project, "remote", "add", "-d", "local", tmp_project.config.dvc_remote_url)
    assert "up to date" in _dvc(tmp_project, "status") and "in sync" in _dvc(tmp_project, "status", "-c")


def test_cloud_status_names_what_the_remote_lacks_and_is_empty_once_pushed(tmp_project):
    cfg = tmp_project.config
    path = tmp_project.root / "data" / "raw" / "a.bin"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"bytes")
    unpushed = DvcStore(cfg.resolve(cfg.dvc.repo_root), cfg.dvc.remote_name, cfg.dvc_remote_url, push=False)
    unpushed.track([path])
    assert list(unpushed.cloud_status().values()) == ["new"]  # in the cache, not in the remote
    store_for(tmp_project).track([path])
    assert store_for(tmp_project).cloud_status() == {}
