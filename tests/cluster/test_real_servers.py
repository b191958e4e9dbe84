"""The cluster profile (configs/cluster.yaml, configs/cluster/) run for real against servers on loopback:
PostgreSQL from Debian's package holds Dagster's run, event and schedule storage and MLflow's backend
store; moto's S3 server is the DVC remote and MLflow's artifact store; `mlflow server` runs as the cluster
deploys it. Only what needs Kubernetes is swapped: hosts and ports become loopback, the k8s executor the
default one, and the instance drops its K8sRunLauncher, S3 compute logs and pod monitoring. Two real clips
go through the per-video chain, the episodes update and a tiny training run on that Dagster instance; then
the rows, objects and model versions are looked up in the servers themselves."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import types
from contextlib import ExitStack, closing
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from tests.cluster import servers
from tests.cluster.conftest import SERVER_VERSIONS
from tests.conftest import REPO_ROOT
from tests.dagster.test_model_to_controller import CLIPS, TINY_TRAINING, metadata_of
from tests.inbox_inputs import store_video
from vitra_core.config import load_config

CONFIGS = REPO_ROOT / "configs"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "loopback", "AWS_SECRET_ACCESS_KEY": "loopback", "AWS_DEFAULT_REGION": "us-east-1"}
NEEDS_KUBERNETES = ("run_launcher", "compute_logs", "run_monitoring")  # K8sRunLauncher, dagster-aws, pod monitoring


def on_loopback(url: str, port: int) -> str:
    """`url` with its host:port (a cluster service) replaced by 127.0.0.1:`port`."""
    parsed = urlparse(url)
    userinfo = parsed.netloc.rpartition("@")[0]
    return parsed._replace(netloc=f"{userinfo}@127.0.0.1:{port}" if userinfo else f"127.0.0.1:{port}").geturl()


def mlflow_server_command(port: int, pg_port: int) -> tuple[list[str], dict[str, str]]:
    """The container command and plain env of configs/cluster/mlflow.yaml, served on loopback: the backend store
    on the local Postgres (its password is a Secret there, trust auth here), one worker, this host and port."""
    deployment = next(yaml.safe_load_all((CONFIGS / "cluster" / "mlflow.yaml").read_text()))
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    args = list(container["args"][1:])  # after `mlflow`
    loopback = {"--backend-store-uri": on_loopback(args[args.index("--backend-store-uri") + 1], pg_port)
                .replace("$(MLFLOW_DB_PASSWORD)", "loopback"),
                "--host": "127.0.0.1", "--port": str(port), "--allowed-hosts": f"127.0.0.1:{port}"}
    for option, value in loopback.items():
        args[args.index(option) + 1] = value
    return [*args, "--workers", "1"], {item["name"]: item["value"] for item in container["env"] if "value" in item}


def loopback_instance_yaml(path: Path, pg_port: int) -> Path:
    """configs/cluster/dagster.yaml with Postgres on loopback and the Kubernetes-only parts left out."""
    instance = yaml.safe_load((CONFIGS / "cluster" / "dagster.yaml").read_text())
    for key in NEEDS_KUBERNETES:
        del instance[key]
    instance["storage"]["postgres"]["postgres_db"].update(hostname="127.0.0.1", port=pg_port)
    path.write_text(yaml.safe_dump(instance, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def cluster_servers(request, tmp_path_factory):
    bin_dir = servers.postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb); scripts/ensure_system_deps.sh installs "
                    "Debian's `postgresql` when run as root, else: sudo apt-get install postgresql")
    workdir = tmp_path_factory.mktemp("servers")
    with pytest.MonkeyPatch.context() as env, ExitStack() as running:
        for name, value in {**AWS_ENV, "DAGSTER_PG_PASSWORD": "loopback"}.items():
            env.setenv(name, value)
        pg = running.enter_context(servers.postgres(bin_dir, ["dagster", "mlflow"]))
        s3 = running.enter_context(servers.s3_server(workdir, ["vitra-ops-data"]))
        env.setenv("AWS_ENDPOINT_URL", s3)  # boto3/botocore (DVC's s3fs): on a cluster, MinIO or the like
        env.setenv("MLFLOW_S3_ENDPOINT_URL", s3)
        port = servers.free_port()
        mlflow_url = running.enter_context(servers.mlflow_server(workdir, *mlflow_server_command(port, pg.port), port=port))
        request.config.stash[SERVER_VERSIONS] = {
            "postgres": pg.version, "moto": importlib.metadata.version("moto"),
            "mlflow server": servers.mlflow_server_version(mlflow_url),
            "dagster-postgres": importlib.metadata.version("dagster-postgres"),
            "dagster": importlib.metadata.version("dagster"), "dvc-s3": importlib.metadata.version("dvc-s3"),
        }
        yield types.SimpleNamespace(pg=pg, s3=s3, mlflow=mlflow_url)


def cluster_overrides(root: Path, running: types.SimpleNamespace, instance_yaml: Path) -> dict[str, str]:
    """configs/cluster.yaml on this machine: paths under `root`, the servers on loopback, no Kubernetes."""
    postgres_url = load_config("cluster", CONFIGS, environ={}).dagster.postgres_url
    return {
        "paths.data_root": str(root / "data"), "paths.inbox": str(root / "data" / "inbox"),
        "paths.runs": str(root / "runs"), "paths.log_file": str(root / ".vitra" / "vitra.log"),
        "dvc.repo_root": str(root),
        "mlflow.tracking_uri": running.mlflow,
        "dagster.home": str(root / "dagster_home"), "dagster.instance_yaml": str(instance_yaml),
        "dagster.postgres_url": on_loopback(postgres_url, running.pg.port),
        "dagster.executor.kind": "multiprocess",
        **{f"pretrain.{k}": v for k, v in TINY_TRAINING.items()},
    }


def query(pg: servers.Postgres, db: str, sql: str) -> list[tuple]:
    with closing(pg.connect(db)) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def recorded_md5s(root: Path) -> set[str]:
    """Every DVC hash the project records: the .dvc files' and dvc.lock's outs."""
    outs = [yaml.safe_load(p.read_text())["outs"][0] for p in root.rglob("*.dvc") if p.is_file()]
    lock = yaml.safe_load((root / "dvc.lock").read_text())["stages"]
    outs += [out for stage in lock.values() for out in stage["outs"]]
    return {out["md5"] for out in outs}


@pytest.mark.slow
def test_two_clips_episodes_and_training_land_in_postgres_s3_and_the_mlflow_server(
        cluster_servers, shared_data, tmp_path, monkeypatch):
    import boto3
    from dagster import materialize
    from mlflow import MlflowClient

    from vitra_assets.definitions import PER_VIDEO_ASSETS
    from vitra_assets.episodes import episodes
    from vitra_assets.instance import project_instance
    from vitra_assets.pretrained_vla import pretrained_vla
    from vitra_assets.resources import VitraConfigResource
    from vitra_core.training.pretrain import PRETRAINED_DIR
    from vitra_core.training.tracking import CANDIDATE, download_policy

    root = tmp_path / "project"
    root.mkdir()
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run([*dvc, "init", "--no-scm", "-q"], cwd=root, check=True)
    (root / "dvc.yaml").write_bytes((REPO_ROOT / "dvc.yaml").read_bytes())
    overrides = cluster_overrides(root, cluster_servers, loopback_instance_yaml(tmp_path / "dagster.yaml", cluster_servers.pg.port))
    cfg = load_config("cluster", CONFIGS, overrides, environ={})
    assert (cfg.dvc_remote_url, cfg.mlflow_artifact_location) == ("s3://vitra-ops-data/dvc", "s3://vitra-ops-data/mlflow")
    # what an operator's checkout has, so that `dvc status -c` compares with the profile's remote
    subprocess.run([*dvc, "remote", "add", "-d", cfg.dvc.remote_name, cfg.dvc_remote_url], cwd=root, check=True)
    resources = {"vitra": VitraConfigResource(profile="cluster", config_dir=str(CONFIGS), overrides=overrides)}
    project = types.SimpleNamespace(root=root, config=cfg)
    video_ids = [store_video(project, shared_data / clip) for clip in CLIPS]

    monkeypatch.setenv("DAGSTER_HOME", str(cfg.dagster.home))  # restored after the test
    with project_instance(cfg) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        instance.add_dynamic_partitions("videos", video_ids)
        results = [materialize(PER_VIDEO_ASSETS, instance=instance, partition_key=v, resources=resources) for v in video_ids]
        results.append(materialize([episodes], instance=instance, resources=resources))
        results.append(materialize([pretrained_vla], instance=instance, resources=resources))
    assert all(result.success for result in results)
    pretrained = metadata_of(results[-1], "pretrained_vla")

    # Dagster: the runs, their events and the partitions are rows in Postgres, beside the schedule storage
    pg = cluster_servers.pg
    tables = {row[0] for row in query(pg, "dagster", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"runs", "event_logs", "dynamic_partitions", "instigators", "jobs", "job_ticks"} <= tables
    runs = dict(query(pg, "dagster", "SELECT run_id, status FROM runs"))
    assert runs == {result.run_id: "SUCCESS" for result in results}
    materialized = dict(query(pg, "dagster", "SELECT asset_key, count(*) FROM event_logs "
                                             "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' GROUP BY asset_key"))
    per_video = {f'["{asset.key.path[0]}"]': len(video_ids) for asset in PER_VIDEO_ASSETS}
    assert materialized == {**per_video, '["episodes"]': 1, '["pretrained_vla"]': 1}
    events_per_run = dict(query(pg, "dagster", "SELECT run_id, count(*) FROM event_logs GROUP BY run_id"))
    assert set(events_per_run) == set(runs) and min(events_per_run.values()) > 10
    assert sorted(row[0] for row in query(pg, "dagster", "SELECT partition FROM dynamic_partitions")) == sorted(video_ids)

    # DVC: every hash the project records is an object in the bucket, and the cache and the remote agree
    s3 = boto3.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="vitra-ops-data", Prefix="dvc/")
    objects = {item["Key"] for page in pages for item in page.get("Contents", [])}
    md5s = recorded_md5s(root)
    assert len(md5s) >= 2 * len(video_ids) + 2  # raw clips, per-video outputs, episodes, pretrained policy
    assert {f"dvc/files/md5/{md5[:2]}/{md5[2:]}" for md5 in md5s} <= objects
    status = subprocess.run([*dvc, "status", "-c"], cwd=root, capture_output=True, text=True, check=True)
    assert "in sync" in status.stdout, status.stdout

    # MLflow: the run and the registered version on the server, its rows in Postgres, its artifacts in S3
    client = MlflowClient(cluster_servers.mlflow)
    run = client.get_run(pretrained["mlflow_run_id"])
    assert run.info.status == "FINISHED" and run.data.params["dataset.dvc_md5"] == pretrained["episodes_dvc_md5"]
    assert client.get_experiment(run.info.experiment_id).artifact_location == "s3://vitra-ops-data/mlflow"
    version = client.get_model_version_by_alias(cfg.pretrain.registered_model, CANDIDATE)
    assert version.run_id == run.info.run_id and version.status == "READY"
    assert query(pg, "mlflow", "SELECT run_uuid, status FROM runs") == [(run.info.run_id, "FINISHED")]
    assert query(pg, "mlflow", "SELECT name, version FROM model_versions") == [(version.name, int(version.version))]
    policy = download_policy(cluster_servers.mlflow, version, tmp_path / "downloaded")  # from S3, through the registry
    downloaded = {p.name: p.read_bytes() for p in policy.iterdir()}
    assert downloaded and downloaded == {name: (cfg.data_root / PRETRAINED_DIR / name).read_bytes() for name in downloaded}
