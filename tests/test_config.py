from pathlib import Path

import pytest

from vitra_core.config import load_config
from vitra_core.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_default_profile_is_embedded_and_resolves_paths_against_the_project():
    cfg = load_config("default", CONFIGS, environ={})
    assert cfg.data_root == CONFIGS.parent / "data"
    assert cfg.inbox_dir == CONFIGS.parent / "data" / "inbox"
    assert cfg.mlflow_tracking_uri == f"sqlite:///{CONFIGS.parent / '.vitra' / 'mlflow.db'}"
    assert cfg.dvc_remote_url == str(CONFIGS.parent / ".vitra" / "dvc-remote")
    assert cfg.mlflow_artifact_location == (CONFIGS.parent / ".vitra" / "mlartifacts").as_uri()
    assert cfg.dagster.storage == "sqlite"
    assert cfg.normalise.target_fps == 30 and cfg.normalise.max_long_side_px == 720


def test_cluster_profile_extends_default_with_s3_mlflow_server_and_postgres():
    cfg = load_config("cluster", CONFIGS, environ={})
    assert cfg.dvc_remote_url.startswith("s3://")
    assert cfg.mlflow_tracking_uri.startswith("http://")
    assert cfg.mlflow_artifact_location == "s3://vitra-ops-data/mlflow"  # a URL stays one, not a local path
    assert cfg.dagster.storage == "postgres" and cfg.dagster.postgres_url.startswith("postgresql+psycopg2://")
    assert cfg.normalise.target_fps == 30  # inherited from default.yaml


def test_environment_variables_override_the_file():
    cfg = load_config("default", CONFIGS, environ={"VITRA_NORMALISE__TARGET_FPS": "15", "VITRA_PATHS__DATA_ROOT": "/srv/v"})
    assert cfg.normalise.target_fps == 15.0
    assert cfg.data_root == Path("/srv/v")


def test_unknown_key_in_a_file_names_the_file_and_the_key(tmp_path):
    (tmp_path / "lab.yaml").write_text("extends: default\nnormalise:\n  target_fsp: 20\n")
    (tmp_path / "default.yaml").write_text((CONFIGS / "default.yaml").read_text())
    with pytest.raises(ConfigError) as err:
        load_config("lab", tmp_path, environ={})
    message = str(err.value)
    assert str(tmp_path / "lab.yaml") in message
    assert "normalise.target_fsp" in message and "Extra inputs are not permitted" in message


def test_wrong_type_from_the_environment_names_the_variable():
    with pytest.raises(ConfigError) as err:
        load_config("default", CONFIGS, environ={"VITRA_CAMERA__DEFAULT_FOV_DEG": "wide"})
    assert "environment variable VITRA_CAMERA__DEFAULT_FOV_DEG: camera.default_fov_deg" in str(err.value)


def test_postgres_storage_without_url_is_rejected(tmp_path):
    (tmp_path / "default.yaml").write_text("dagster:\n  storage: postgres\n")
    with pytest.raises(ConfigError, match="postgres_url"):
        load_config("default", tmp_path, environ={})


def test_missing_profile_lists_the_available_ones():
    with pytest.raises(ConfigError, match="available: cluster, default"):
        load_config("nope", CONFIGS, environ={})
