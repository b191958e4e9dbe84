"""The cluster configuration: the `cluster` profile (pydantic) and the platform files in configs/cluster/
(Dagster's instance schema; dagster-k8s, dagster-aws are not installed here, so their config schemas are
transcribed below from their sources and checked with Dagster's own config validation), and that they agree."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from dagster import (
    Array, BoolSource, ExecutorDefinition, Field, IntSource, Map, Noneable, Permissive, Shape, StringSource, executor,
)
from dagster._config import validate_config
from dagster._core.execution.retries import get_retries_config
from dagster._core.execution.tags import get_tag_concurrency_limits_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.run_coordinator import QueuedRunCoordinator

from vitra_assets.executor import K8S_MODULE, build_executor
from vitra_core.config import load_config
from vitra_core.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
INSTANCE_YAML = CONFIGS / "cluster" / "dagster.yaml"
MLFLOW_YAML = CONFIGS / "cluster" / "mlflow.yaml"

# dagster-k8s, dagster_k8s/job.py: DagsterK8sJobConfig.config_type_container() / config_type_job()
_K8S_CONTAINER = {
    "image_pull_policy": Field(Noneable(StringSource), is_required=False),
    "image_pull_secrets": Field(Noneable(Array(Shape({"name": StringSource}))), is_required=False),
    "service_account_name": Field(Noneable(StringSource), is_required=False),
    "env_config_maps": Field(Noneable(Array(StringSource)), is_required=False),
    "env_secrets": Field(Noneable(Array(StringSource)), is_required=False),
    "env_vars": Field(Noneable(Array(str)), is_required=False),
    "volume_mounts": Field(Array(Permissive({
        "name": StringSource, "mount_path": Field(StringSource, is_required=False),
        "mount_propagation": Field(StringSource, is_required=False), "read_only": Field(BoolSource, is_required=False),
        "sub_path": Field(StringSource, is_required=False), "sub_path_expr": Field(StringSource, is_required=False),
    })), is_required=False, default_value=[]),
    "volumes": Field(Array(Permissive({"name": str})), is_required=False, default_value=[]),
    "labels": Field(dict, is_required=False),
    "resources": Field(Noneable({"limits": Field(dict, is_required=False), "requests": Field(dict, is_required=False)}),
                       is_required=False),
    "scheduler_name": Field(Noneable(StringSource), is_required=False),
    "security_context": Field(dict, is_required=False),
}
_K8S_JOB = {"job_image": Field(Noneable(StringSource), is_required=False), **_K8S_CONTAINER}
_RAW_K8S = Shape({name: Permissive() for name in (
    "container_config", "pod_template_spec_metadata", "pod_spec_config", "job_config", "job_metadata", "job_spec_config")})
# DagsterK8sJobConfig.config_type_run_launcher()
K8S_RUN_LAUNCHER = {
    **_K8S_JOB,
    "instance_config_map": Field(StringSource, is_required=True),
    "postgres_password_secret": Field(StringSource, is_required=False),
    "dagster_home": Field(StringSource, is_required=False),
    "load_incluster_config": Field(bool, is_required=False),
    "kubeconfig_file": Field(Noneable(str), is_required=False),
    "fail_pod_on_run_failure": Field(bool, is_required=False),
    "run_k8s_config": Field(_RAW_K8S, is_required=False),
    "job_namespace": Field(StringSource, is_required=False),
    "only_allow_user_defined_k8s_config_fields": Field(Shape({
        **{name: Field(Map(str, bool), is_required=False) for name in (
            "container_config", "pod_spec_config", "pod_template_spec_metadata", "job_metadata", "job_spec_config")},
        "namespace": Field(BoolSource, is_required=False),
    }), is_required=False),
    "only_allow_user_defined_env_vars": Field(Array(str), is_required=False),
}
# dagster_k8s/executor.py: _K8S_EXECUTOR_CONFIG_SCHEMA
K8S_JOB_EXECUTOR = {
    **_K8S_JOB,
    "load_incluster_config": Field(bool, is_required=False),
    "kubeconfig_file": Field(Noneable(str), is_required=False),
    "job_namespace": Field(StringSource, is_required=False),
    "retries": get_retries_config(),
    "max_concurrent": Field(IntSource, is_required=False),
    "tag_concurrency_limits": get_tag_concurrency_limits_config(),
    "step_k8s_config": Field(_RAW_K8S, is_required=False),
}
# dagster-aws, dagster_aws/s3/compute_log_manager.py: S3ComputeLogManager.config_type()
S3_COMPUTE_LOGS = {
    "bucket": StringSource,
    "local_dir": Field(StringSource, is_required=False),
    "prefix": Field(StringSource, is_required=False),
    "use_ssl": Field(bool, is_required=False),
    "verify": Field(bool, is_required=False),
    "verify_cert_path": Field(StringSource, is_required=False),
    "endpoint_url": Field(StringSource, is_required=False),
    "skip_empty_files": Field(bool, is_required=False),
    "upload_interval": Field(Noneable(int), is_required=False),
    "upload_extra_args": Field(Permissive(), is_required=False),
    "show_url_only": Field(bool, is_required=False),
    "region": Field(StringSource, is_required=False),
}


def valid(schema, value) -> list[str]:
    """Dagster's validation errors for `value` (empty when it fits `schema`)."""
    return [error.message for error in validate_config(schema, value).errors or []]


@pytest.fixture(scope="module")
def cluster():
    return load_config("cluster", CONFIGS, environ={})


@pytest.fixture(scope="module")
def instance_yaml() -> dict:
    return yaml.safe_load(INSTANCE_YAML.read_text())


def test_vitra_profile_cluster_selects_the_cluster_profile_with_every_section_valid():
    cfg = load_config(environ={"VITRA_PROFILE": "cluster", "VITRA_CONFIG_DIR": str(CONFIGS)})
    assert cfg.profile == "cluster"
    assert (cfg.dagster.executor.kind, cfg.training.trigger.mode) == ("k8s", "growth")
    assert (cfg.training.torchrun.nnodes, cfg.training.torchrun.nproc_per_node) == (4, 8)
    assert load_config("default", CONFIGS, environ={}).dagster.executor.kind == "in_process"


def test_instance_yaml_passes_dagsters_instance_schema_and_a_typo_does_not(instance_yaml, tmp_path):
    shutil.copy(INSTANCE_YAML, tmp_path / "dagster.yaml")
    config, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None and config["run_launcher"]["class"] == "K8sRunLauncher"
    (tmp_path / "dagster.yaml").write_text(INSTANCE_YAML.read_text().replace("run_monitoring:", "run_monitorin:"))
    with pytest.raises(Exception, match="run_monitorin"):
        dagster_instance_config(str(tmp_path))


def test_each_configurable_class_config_fits_its_class_schema(instance_yaml):
    assert instance_yaml["run_launcher"]["module"] == "dagster_k8s"
    assert valid(K8S_RUN_LAUNCHER, instance_yaml["run_launcher"]["config"]) == []
    assert valid(QueuedRunCoordinator.config_type(), instance_yaml["run_coordinator"]["config"]) == []
    assert instance_yaml["compute_logs"]["module"] == "dagster_aws.s3.compute_log_manager"
    assert valid(S3_COMPUTE_LOGS, instance_yaml["compute_logs"]["config"]) == []
    broken = instance_yaml["run_launcher"]["config"] | {"job_namspace": "vitra"}
    assert any("job_namspace" in error for error in valid(K8S_RUN_LAUNCHER, broken))


def test_instance_agrees_with_the_profile(cluster, instance_yaml):
    url = urlparse(cluster.dagster.postgres_url)
    db = instance_yaml["storage"]["postgres"]["postgres_db"]
    assert (db["scheme"], db["hostname"], db["port"], db["db_name"]) == (url.scheme, url.hostname, url.port, url.path[1:])
    assert db["username"] == url.username
    assert instance_yaml["run_coordinator"]["config"]["max_concurrent_runs"] == cluster.dagster.max_concurrent_runs
    launcher = instance_yaml["run_launcher"]["config"]
    assert launcher["dagster_home"] == str(cluster.dagster.home)
    assert [m["mount_path"] for m in launcher["volume_mounts"]] == [str(Path(cluster.paths.data_root).parent)]
    assert launcher["job_namespace"] == cluster.dagster.executor.k8s["job_namespace"]
    buckets = {urlparse(cluster.dvc_remote_url).netloc, urlparse(cluster.mlflow.artifact_location).netloc,
               instance_yaml["compute_logs"]["config"]["bucket"]}
    assert buckets == {"vitra-ops-data"}


def test_profile_executor_config_fits_the_k8s_job_executor_schema(cluster):
    assert valid(K8S_JOB_EXECUTOR, cluster.dagster.executor.k8s) == []


def test_mlflow_server_serves_the_profiles_tracking_uri_and_artifact_root(cluster):
    deployment, service = yaml.safe_load_all(MLFLOW_YAML.read_text())
    assert (deployment["kind"], service["kind"]) == ("Deployment", "Service")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    option = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("--")}
    tracking = urlparse(cluster.mlflow_tracking_uri)
    assert tracking.hostname.split(".")[:2] == [service["metadata"]["name"], "vitra"]
    assert service["spec"]["ports"][0]["port"] == tracking.port == int(option["--port"])
    assert option["--default-artifact-root"] == cluster.mlflow.artifact_location and "--no-serve-artifacts" in args
    assert option["--backend-store-uri"].startswith("postgresql+psycopg2://")  # the driver in the image
    assert tracking.netloc in option["--allowed-hosts"].split(",")
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]


def test_the_k8s_executor_needs_dagster_k8s_and_is_configured_from_the_profile(cluster, monkeypatch):
    assert build_executor(load_config("default", CONFIGS, environ={})).name == "in_process"
    multiprocess = load_config("default", CONFIGS, environ={"VITRA_DAGSTER__EXECUTOR__KIND": "multiprocess"})
    assert build_executor(multiprocess) is None  # Dagster's default
    monkeypatch.setitem(sys.modules, K8S_MODULE, None)  # not installed
    with pytest.raises(ConfigError, match="profile 'cluster': dagster.executor.kind 'k8s' needs the package dagster-k8s"):
        build_executor(cluster)

    @executor(name="k8s", config_schema=K8S_JOB_EXECUTOR)
    def k8s_job_executor(init_context):  # stands in for dagster_k8s.k8s_job_executor, with its schema
        raise NotImplementedError

    monkeypatch.setitem(sys.modules, K8S_MODULE, types.SimpleNamespace(k8s_job_executor=k8s_job_executor))
    built = build_executor(cluster)
    assert isinstance(built, ExecutorDefinition) and built.name == "k8s"
    resolved = built.config_schema.resolve_config({})  # what a run of the cluster profile hands the executor
    assert resolved.success and resolved.value["config"]["max_concurrent"] == cluster.dagster.executor.k8s["max_concurrent"]


def test_a_provided_instance_yaml_is_used_and_never_overwritten(tmp_path):
    from vitra_assets.instance import ensure_dagster_home
    from vitra_core.config import load_config

    provided = CONFIGS / "cluster" / "dagster.yaml"
    home = tmp_path / "home"
    cfg = load_config("default", CONFIGS,
                      {"dagster.home": str(home), "dagster.instance_yaml": str(provided)}, environ={})
    ensure_dagster_home(cfg)
    assert (home / "dagster.yaml").read_text() == provided.read_text()
    (home / "dagster.yaml").write_text("# mounted by the cluster\n")
    ensure_dagster_home(cfg)
    assert (home / "dagster.yaml").read_text() == "# mounted by the cluster\n"
