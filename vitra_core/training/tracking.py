"""MLflow for training runs: what each run records, the model registry, and champion promotion.

Every run logs its config, `train/` and `val/` metrics per step (`eval/` after evaluation), system
metrics, its dataset as an MLflow dataset input (name, version as digest, one row per episode), the
git commit, the links to the Dagster run and asset that started it, the normaliser and the last
checkpoint. Experiments are tagged for model training, so the MLflow 3 UI opens them in its ML (not
GenAI) view. The trained policy is logged as a pyfunc model (models-from-code: the loader is a file,
nothing is pickled) with an input example and a signature, registered with a description, and given
the alias `candidate`. `champion` moves
only through `promote`, after evaluation: the candidate must pass its promotion gate (beat its baselines
and controls, see `promotion.py`) and then beat the current champion.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, Field

from vitra_core.errors import VitraError
from vitra_core.training.promotion import PromotionGate

if TYPE_CHECKING:  # mlflow itself is imported where it is used: loading the Dagster definitions needs none of it
    from mlflow import MlflowClient
    from mlflow.entities import Metric
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.models import ModelSignature

    from vitra_core.config import VitraConfig

CANDIDATE = "candidate"
CHAMPION = "champion"
GATE_TAG = "vitra.gate"  # on each evaluated model version: "passed: ..." or "failed: ..."
# MLflow 3's experiment type: the UI shows runs, metrics and models (not traces) for this kind
EXPERIMENT_KIND_TAG, MODEL_TRAINING_KIND = "mlflow.experimentKind", "custom_model_development"
DAGSTER_RUN_TAG, DAGSTER_ASSET_TAG = "dagster.run_id", "dagster.asset_key"
POLICY_ARTIFACT = "policy"
PYFUNC_LOADER = Path(__file__).with_name("mlflow_model.py")


class TrackingTarget(BaseModel):
    """Where runs and models go: the tracking URI and, for a new experiment, its artifact root."""

    uri: str
    artifact_location: str | Path | None = Field(None, description="a URL (s3://...) or a local folder")


def tracking_target(cfg: "VitraConfig") -> TrackingTarget:
    return TrackingTarget(uri=cfg.mlflow_tracking_uri, artifact_location=cfg.mlflow_artifact_location)


class DatasetRef(BaseModel):
    """The dataset a run trains on: its name, folder and version, and what kind of version that is (a DVC
    md5 of a DVC-tracked folder, or a content fingerprint), so the version's tag says what it holds."""

    name: str  # "episodes", "robot_demos"
    root: Path
    version: str
    version_kind: Literal["dvc_md5", "fingerprint"]

    @property
    def version_tag(self) -> str:
        """e.g. `vitra.episodes.dvc_md5`, `vitra.robot_demos.fingerprint`."""
        return f"vitra.{self.name}.{self.version_kind}"


def run_name(job: str, size: str, dataset: DatasetRef) -> str:
    """A unique, readable run name: job, model size, dataset version, UTC time (pretrain-small-fe305437-0312-1402)."""
    return f"{job}-{size}-{dataset.version[:8]}-{datetime.now(timezone.utc):%m%d-%H%M%S}"


def dagster_links(run_id: str, asset_key: str) -> dict[str, str]:
    """The tags linking an MLflow run to the Dagster run and asset that started it (the caller is the asset)."""
    return {DAGSTER_RUN_TAG: run_id, DAGSTER_ASSET_TAG: asset_key}


class TrackingError(VitraError):
    """The MLflow store or registry is unreachable, or holds no model where one is needed."""


def git_commit(repo_root: Path) -> str:
    """HEAD of the repository at `repo_root`, suffixed `-dirty` when tracked files changed; "unknown" outside git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo_root, capture_output=True, text=True, check=True).stdout.strip()
    try:
        head = git("rev-parse", "HEAD")
        return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"


def _flatten(prefix: str, value: object, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = str(value)[:6000]


def _policy_io_example(policy_dir: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A one-sample input batch and the matching output, for the model signature."""
    from vitra_core.model import VLAPolicy  # torch-heavy; only needed when a model is logged

    policy = VLAPolicy.load(policy_dir)
    spec = policy.spec
    inputs = {
        "image": np.zeros((1, spec.image_size, spec.image_size, 3), np.uint8),
        "instruction": np.array(["Left hand: None. Right hand: Grasp the ball."]),
        "state": np.zeros((1, spec.action_dim), np.float32),
        "state_mask": np.array([[False, True]]),
        "fov": np.array([[60.0, 45.0]], np.float32),
    }
    chunk = policy.predict(inputs["image"][0], str(inputs["instruction"][0]), inputs["state"][0], inputs["state_mask"][0], inputs["fov"][0])
    return inputs, chunk[None]


def _any_image_size(signature: ModelSignature) -> ModelSignature:
    """The example has one image size; the policy letterboxes any, so only the channel count is fixed."""
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    specs = [TensorSpec(s.type, (-1, -1, -1, 3), s.name) if s.name == "image" else s for s in signature.inputs.inputs]
    return ModelSignature(inputs=Schema(specs), outputs=signature.outputs)


def _now_ms() -> int:
    from mlflow.utils.time import get_current_time_millis

    return get_current_time_millis()


class TrainingRun:
    """The active MLflow run of one training job (created by `tracked_run`)."""

    def __init__(self, client: MlflowClient, run_id: str, flush_every: int = 20):
        self.client, self.run_id, self.flush_every = client, run_id, flush_every
        self._pending: list[Metric] = []

    def _active(self):
        """This run as MLflow's active run, for the fluent calls (log_model, log_input) that link to it."""
        import mlflow

        active = mlflow.active_run()
        if active is not None and active.info.run_id == self.run_id:
            return nullcontext()
        return mlflow.start_run(run_id=self.run_id, nested=active is not None)

    @classmethod
    def resume(cls, tracking: TrackingTarget, run_id: str) -> "TrainingRun":
        """A finished run reopened to add results (evaluation logs to its training run)."""
        import mlflow
        from mlflow import MlflowClient

        mlflow.set_tracking_uri(tracking.uri)
        return cls(MlflowClient(tracking.uri), run_id)

    def log_step(self, step: int, metrics: dict[str, float]) -> None:
        """Per-step metrics, sent in batches (one SQLite write per step would slow training)."""
        from mlflow.entities import Metric

        now = _now_ms()
        self._pending += [Metric(k, float(v), now, step) for k, v in metrics.items()]
        if len(self._pending) >= self.flush_every * max(1, len(metrics)):
            self.flush()

    def flush(self) -> None:
        for start in range(0, len(self._pending), 1000):
            self.client.log_batch(self.run_id, metrics=self._pending[start:start + 1000])
        self._pending = []

    def log_metrics(self, metrics: dict[str, float], prefix: str = "") -> None:
        from mlflow.entities import Metric

        self.flush()
        self.client.log_batch(self.run_id, metrics=[Metric(prefix + k, float(v), _now_ms(), 0)
                                                    for k, v in metrics.items()])

    def log_dict(self, data: dict, artifact_file: str) -> None:
        self.client.log_dict(self.run_id, data, artifact_file)

    def log_text(self, text: str, artifact_file: str) -> None:
        self.client.log_text(self.run_id, text, artifact_file)

    def log_artifacts(self, local_dir: Path, artifact_path: str) -> None:
        self.client.log_artifacts(self.run_id, str(local_dir), artifact_path)

    def log_dataset(self, dataset: DatasetRef, episodes: list[int], context: str) -> None:
        """`episodes` of the dataset as an MLflow dataset input of this run: one row per episode (source video,
        hand, frames, instruction), the dataset version as its digest, `context` training/validation/evaluation.
        Named `<dataset>-<context>`: MLflow identifies a dataset by name and digest, and links one only once per run."""
        import mlflow
        import pandas as pd

        from vitra_core.episodes.meta import DatasetMeta

        rows = DatasetMeta.load(dataset.root).episodes
        columns = ("video_id", "hand", "length", "instruction")
        table = pd.DataFrame([{"episode_index": i, **{c: rows[i].get(c) for c in columns}} for i in episodes])
        data = mlflow.data.from_pandas(table, source=str(dataset.root), name=f"{dataset.name}-{context}",
                                       digest=dataset.version[:36])  # MLflow keeps at most 36 characters
        with self._active():
            mlflow.log_input(data, context=context, tags={"episodes": str(len(episodes)),
                                                          "frames": str(int(table["length"].sum())),
                                                          dataset.version_tag: dataset.version})

    def log_policy(self, policy_dir: Path, model_name: str, description: str) -> ModelVersion:
        """Log the policy folder as a pyfunc model with an input example and signature, register it with
        `description`, alias it `candidate`."""
        import mlflow
        from mlflow.models import infer_signature

        self.flush()
        inputs, outputs = _policy_io_example(policy_dir)
        with self._active():
            info = mlflow.pyfunc.log_model(
                name=POLICY_ARTIFACT, python_model=str(PYFUNC_LOADER), artifacts={POLICY_ARTIFACT: str(policy_dir)},
                signature=_any_image_size(infer_signature(inputs, outputs)), input_example=inputs,
                pip_requirements=["vitra-ops"],
            )
        version = self.client.create_model_version(model_name, info.model_uri, run_id=self.run_id,
                                                   model_id=info.model_id, description=description)
        self.client.set_registered_model_alias(model_name, CANDIDATE, version.version)
        return version


def _experiment_id(client: MlflowClient, name: str, artifact_location: str | Path | None) -> str:
    """The experiment's id, created if new; either way tagged as a model-training experiment."""
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        if isinstance(artifact_location, Path):
            artifact_location = artifact_location.resolve().as_uri()
        return client.create_experiment(name, artifact_location=artifact_location,
                                        tags={EXPERIMENT_KIND_TAG: MODEL_TRAINING_KIND})
    if experiment.tags.get(EXPERIMENT_KIND_TAG) != MODEL_TRAINING_KIND:
        client.set_experiment_tag(experiment.experiment_id, EXPERIMENT_KIND_TAG, MODEL_TRAINING_KIND)
    return experiment.experiment_id


@contextmanager
def tracked_run(tracking: TrackingTarget, experiment: str, run_name: str, params: dict,
                tags: dict[str, str]) -> Iterator[TrainingRun]:
    """The active MLflow run, with `params` (nested dicts flattened to dotted keys), `tags`, MLflow's own
    source and user tags, and system metrics (CPU, memory, GPU) sampled while it runs; FAILED if the body raises."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking.uri)
    client = MlflowClient(tracking.uri)
    try:
        experiment_id = _experiment_id(client, experiment, tracking.artifact_location)
    except MlflowException as exc:
        raise TrackingError(f"MLflow at {tracking.uri}: cannot open experiment {experiment!r}: {exc}") from exc
    run = mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags, log_system_metrics=True,
                           nested=mlflow.active_run() is not None)
    flat: dict[str, str] = {}
    _flatten("", params, flat)
    client.log_batch(run.info.run_id, params=[mlflow.entities.Param(k, v) for k, v in flat.items()])
    tracked = TrainingRun(client, run.info.run_id)
    try:
        yield tracked
        tracked.flush()
    except BaseException:
        mlflow.end_run("FAILED")
        raise
    mlflow.end_run("FINISHED")


def ensure_registered_model(tracking_uri: str, name: str, description: str) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri)
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description=description)


def model_version(tracking_uri: str, name: str, alias: str | None = None) -> ModelVersion:
    """The version under `alias`, or the newest version when alias is None."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri)
    try:
        if alias:
            return client.get_model_version_by_alias(name, alias)
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException as exc:
        raise TrackingError(f"MLflow at {tracking_uri}: no model {name!r}{' @' + alias if alias else ''}: {exc}") from exc
    if not versions:
        raise TrackingError(f"MLflow at {tracking_uri}: model {name!r} has no versions")
    return max(versions, key=lambda v: int(v.version))


def promote_if_better(tracking_uri: str, name: str, version: str, metric: str, higher_is_better: bool) -> bool:
    """Point `champion` at `version` if its run's `metric` beats the current champion's run (or there is none)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri)
    challenger = client.get_run(client.get_model_version(name, version).run_id).data.metrics.get(metric)
    if challenger is None:
        raise TrackingError(f"model {name} v{version}: its run has no metric {metric!r} to compare")
    try:
        champion = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        champion = None
    if champion is not None:
        incumbent = client.get_run(champion.run_id).data.metrics.get(metric)
        if incumbent is not None and not (challenger > incumbent if higher_is_better else challenger < incumbent):
            return False
    client.set_registered_model_alias(name, CHAMPION, version)
    return True


def promote(tracking_uri: str, name: str, version: str, gate: PromotionGate, metric: str,
            higher_is_better: bool) -> bool:
    """Record the gate's outcome on the model version (tag `vitra.gate`); point `champion` at it only if the
    gate passed and its `metric` beats the current champion's. Returns whether `champion` moved."""
    from mlflow import MlflowClient

    MlflowClient(tracking_uri).set_model_version_tag(name, version, GATE_TAG, gate.summary())
    return gate.passed and promote_if_better(tracking_uri, name, version, metric, higher_is_better)


def champion_version(tracking_uri: str, name: str) -> str | None:
    """The version `champion` points at, or None when no version has earned it (or the model is unknown)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return str(MlflowClient(tracking_uri).get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:
        return None


class NoChampionError(TrackingError):
    """A deployment was asked for the champion, and no version of the model has passed its gate."""


def deployable_version(tracking_uri: str, name: str, pinned: str | None = None) -> ModelVersion:
    """The version to deploy: `pinned` if given (an operator's explicit choice), else the `champion`.
    Never the newest by default: a version that lost to its baselines is not deployed by accident."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if pinned is not None:
        try:
            return MlflowClient(tracking_uri).get_model_version(name, pinned)
        except MlflowException as exc:
            raise TrackingError(f"MLflow at {tracking_uri}: deploy.model_version {pinned!r} of {name!r} not found: {exc}") from exc
    try:
        return MlflowClient(tracking_uri).get_model_version_by_alias(name, CHAMPION)
    except MlflowException as exc:
        raise NoChampionError(
            f"{name} has no {CHAMPION}: no version has passed its promotion gate (see policy_eval), so nothing is "
            f"deployed; to deploy a version anyway, set deploy.model_version") from exc


def download_policy(tracking_uri: str, version: ModelVersion, dest: Path) -> Path:
    """The VLAPolicy folder of a registered model version, as `dest/<name>-v<version>` (kept if present)."""
    import mlflow

    target = dest / f"{version.name}-v{version.version}"
    if target.exists():
        return target
    mlflow.set_tracking_uri(tracking_uri)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as staging:
        model_dir = Path(mlflow.artifacts.download_artifacts(f"models:/{version.name}/{version.version}", dst_path=staging))
        pyfunc = mlflow.models.Model.load(str(model_dir / "MLmodel")).flavors["python_function"]
        (model_dir / pyfunc["artifacts"][POLICY_ARTIFACT]["path"]).rename(target)
    return target
