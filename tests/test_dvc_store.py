import pytest

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
