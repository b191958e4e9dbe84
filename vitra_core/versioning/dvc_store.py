"""Track files with DVC and push them to the configured remote, through DVC's Python API.

The remote named in the project config wins over `.dvc/config`, so switching a local folder for S3
is configuration. DVC calls are serialised with a file lock, because parallel runs (one per video
partition) would otherwise trip over DVC's own repository lock.

Tracking one file costs the same however many files the repository already tracks: `dvc add` builds
DVC's whole repository index (it parses every `.dvc` file, ~3 ms each) to look for overlapping
outputs, so `track` creates or updates the file's own single-file stage through DVC's stage API and
checks overlaps against only what could overlap a file (its parent folders' `.dvc` files and
`dvc.yaml`'s outs); `push` with explicit targets already reads only those (docs/scaling.md).
"""

from __future__ import annotations

import fcntl
import logging
import os
from contextlib import chdir, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import yaml
from pydantic import BaseModel

from vitra_core.errors import VitraError
from vitra_core.fsutil import write_bytes_atomic
from vitra_core.versioning import dir_commit

if TYPE_CHECKING:
    from vitra_core.config import VitraConfig

os.environ.setdefault("DVC_NO_ANALYTICS", "1")


class DvcError(VitraError):
    """DVC could not track or push a file."""


class TrackedFile(BaseModel):
    path: str
    dvc_file: str
    md5: str
    size_bytes: int
    remote: str | None


class DvcStore:
    def __init__(self, repo_root: Path, remote_name: str, remote_url: str, push: bool = True):
        self.repo_root = Path(repo_root).resolve()
        self.remote_name = remote_name
        self.remote_url = remote_url
        self.push_enabled = push
        if not (self.repo_root / ".dvc").is_dir():
            raise DvcError(f"{self.repo_root}: not a DVC repository (run `dvc init` there)")

    @contextmanager
    def _repo(self) -> Iterator["object"]:
        from dvc.repo import Repo  # heavy import, only when versioning actually runs

        lock_path = self.repo_root / ".dvc" / "tmp" / "vitra.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        overrides = {
            "core": {"remote": self.remote_name, "analytics": False, "check_update": False},
            "remote": {self.remote_name: {"url": self.remote_url}},
        }
        dvc_logger = logging.getLogger("dvc")
        level = dvc_logger.level
        dvc_logger.setLevel(logging.WARNING)  # its "git add ..." hints are for an interactive shell
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                # DVC's run cache builds stages relative to the working directory and refuses one
                # outside the repository (a Dagster run's cwd is the code location's, not the data's)
                with chdir(self.repo_root), Repo(str(self.repo_root), config=overrides) as repo:
                    yield repo
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                dvc_logger.setLevel(level)

    @contextmanager
    def _operation(self, what: str) -> Iterator["object"]:
        """A locked DVC repository; any DVC failure becomes a DvcError that names `what`."""
        try:
            with self._repo() as repo:
                yield repo
        except Exception as exc:  # DVC raises many types; the caller needs one with the target named
            raise DvcError(f"{what} failed: {exc}") from exc

    def track(self, paths: list[Path]) -> list[TrackedFile]:
        """`dvc add` the files (a no-op for unchanged ones) and push them; return their DVC hashes."""
        paths = [Path(p).resolve() for p in paths]
        targets = [str(p) for p in paths]  # absolute: DVC resolves relative targets against the cwd
        with self._operation(f"dvc add/push of {', '.join(p.name for p in paths)}") as repo:
            from dvc.repo import lock_repo

            with lock_repo(repo), repo.scm_context(quiet=True):
                for path in paths:
                    _add_file(repo, path)
            if self.push_enabled:
                repo.push(targets=[f"{t}.dvc" for t in targets])
        return [self._tracked(p) for p in paths]

    def commit_stage(self, stage: str) -> dict[str, str]:
        """Record a `dvc.yaml` stage's current deps and outs in `dvc.lock` (as `dvc repro` would after
        running it) and push its outs; return each out path with its DVC hash. Folders are re-hashed only
        where files changed since the last commit (dir_commit.py); otherwise DVC commits."""
        listings = dir_commit.load_listing(self.repo_root, stage, self.push_enabled)
        if listings is None or not self._commit_changed(stage, listings):
            target = f"{self.repo_root / 'dvc.yaml'}:{stage}"  # absolute, as for files
            with self._operation(f"dvc commit/push of stage {stage!r}") as repo:
                repo.commit(target, force=True)
                if self.push_enabled:
                    repo.push(targets=[target])
            self._start_listing(stage)
        return self.locked_outs(stage)

    def cloud_status(self) -> dict[str, str]:
        """What `dvc status -c` reports against the remote: each tracked output not in sync with its state
        ("new", "deleted", "missing", ...); empty when every output is in the cache and the remote."""
        with self._operation("dvc status -c") as repo:
            return {path: str(state) for path, state in repo.status(cloud=True, remote=self.remote_name).items()}

    def _stage_entries(self, stage: str) -> tuple[list[dict], list[dict]] | None:
        """The stage's deps and outs as dvc.lock records them, when they are all folders and dvc.yaml still
        declares the same command, deps and outs (else None: DVC must commit)."""
        declared = yaml.safe_load((self.repo_root / "dvc.yaml").read_text())["stages"].get(stage, {})
        locked = yaml.safe_load((self.repo_root / "dvc.lock").read_text())["stages"].get(stage, {})
        deps, outs = locked.get("deps", []), locked.get("outs", [])
        names = [next(iter(out)) if isinstance(out, dict) else out for out in declared.get("outs", [])]
        if (locked.get("cmd") != declared.get("cmd") or sorted(e["path"] for e in deps) != sorted(declared.get("deps", []))
                or sorted(e["path"] for e in outs) != sorted(names)):
            return None
        if not all((self.repo_root / e["path"]).is_dir() and e["md5"].endswith(".dir") for e in deps + outs):
            return None
        return deps, outs

    def _commit_changed(self, stage: str, listings: dict[str, dict]) -> bool:
        entries = self._stage_entries(stage)
        if entries is None:
            return False
        with self._operation(f"dvc commit/push of stage {stage!r}") as repo:
            cache, recorded, new, objects = repo.cache.local, {}, {}, []
            for kind, locked in zip(("deps", "outs"), entries):
                for entry in locked:
                    folder = self.repo_root / entry["path"]
                    listing, hashed = dir_commit.scan(folder, listings.get(entry["path"], {}))
                    oid, data = dir_commit.manifest(listing)
                    if kind == "outs":
                        for relpath in hashed:
                            cache.add(str(folder / relpath), cache.fs, listing[relpath][3])
                        if not cache.exists(oid):
                            write_bytes_atomic(Path(cache.oid_to_path(oid)), data)
                        objects += [listing[relpath][3] for relpath in hashed] + [oid]
                    new[entry["path"]] = listing
                    recorded.setdefault(kind, []).append(dir_commit.lock_entry(entry["path"], oid, listing))
            if self.push_enabled:
                remote = repo.cloud.get_remote_odb(self.remote_name)
                for oid in objects:
                    remote.add(cache.oid_to_path(oid), cache.fs, oid)
            dir_commit.write_lock(self.repo_root, stage, recorded.get("deps", []), recorded["outs"])
        trees = {e["path"]: e["md5"] for es in recorded.values() for e in es}
        dir_commit.save_listing(self.repo_root, stage, new, trees, self.push_enabled)
        return True

    def _start_listing(self, stage: str) -> None:
        """After DVC committed: hash every file of the stage's folders once and keep the listing if its trees
        are exactly DVC's (so the next commit can be incremental)."""
        entries = self._stage_entries(stage)
        if entries is None:
            return
        listings, trees = {}, {}
        for entry in entries[0] + entries[1]:
            listings[entry["path"]], _ = dir_commit.scan(self.repo_root / entry["path"], {})
            trees[entry["path"]] = dir_commit.manifest(listings[entry["path"]])[0]
            if trees[entry["path"]] != entry["md5"]:
                return
        dir_commit.save_listing(self.repo_root, stage, listings, trees, self.push_enabled)

    def locked_outs(self, stage: str) -> dict[str, str]:
        """Each out path of a stage with the DVC hash `dvc.lock` records for it."""
        lock_file = self.repo_root / "dvc.lock"
        stages = yaml.safe_load(lock_file.read_text())["stages"] if lock_file.exists() else {}
        if stage not in stages:
            raise DvcError(f"{lock_file}: stage {stage!r} has not been recorded yet (build it first)")
        return {out["path"]: out["md5"] for out in stages[stage]["outs"]}

    def _tracked(self, path: Path) -> TrackedFile:
        dvc_file = path.with_name(path.name + ".dvc")
        out = yaml.safe_load(dvc_file.read_text())["outs"][0]
        return TrackedFile(
            path=str(path.relative_to(self.repo_root)),
            dvc_file=str(dvc_file.relative_to(self.repo_root)),
            md5=out["md5"],
            size_bytes=int(out["size"]),
            remote=self.remote_url if self.push_enabled else None,
        )


def _overlapping_outs(repo: "object", path: Path) -> list[str]:
    """Outputs other than `path`'s own `.dvc` stage that contain or equal `path`: a parent folder tracked
    by its own `.dvc` file, or an out of a `dvc.yaml` stage (this project keeps one, at the root)."""
    from dvc.dvcfile import load_file

    root = Path(repo.root_dir)
    found = [str(parent) for parent in path.parents
             if parent.is_relative_to(root) and parent != root and parent.with_name(parent.name + ".dvc").is_file()]
    if (root / "dvc.yaml").is_file():
        found += [str(out) for stage in load_file(repo, str(root / "dvc.yaml")).stages.values() for out in stage.outs
                  if path == Path(out.fs_path) or path.is_relative_to(out.fs_path)]
    return found


def _add_file(repo: "object", path: Path) -> None:
    """`dvc add path` without building the repository index: hash, cache and (re)write `path.dvc`."""
    from dvc.dvcfile import load_file

    if overlaps := _overlapping_outs(repo, path):
        raise DvcError(f"cannot track {path}: it overlaps DVC output(s) {', '.join(overlaps)}")
    dvc_file = path.with_name(path.name + ".dvc")
    if dvc_file.is_file():
        stage = load_file(repo, str(dvc_file)).stage
    else:
        stage = repo.stage.create(single_stage=True, validate=False, fname=str(dvc_file), wdir=str(path.parent),
                                  outs=[path.name])
    stage.add_outs()
    stage.dump()


def dvc_store_for(cfg: "VitraConfig") -> DvcStore:
    """The project's DVC store as configured (repo root, remote, push)."""
    return DvcStore(cfg.resolve(cfg.dvc.repo_root), cfg.dvc.remote_name, cfg.dvc_remote_url, cfg.dvc.push)
