"""Typed project configuration: `configs/<profile>.yaml`, validated here, overridable from the environment.

Resolution order: the profile file (which may `extends:` another profile), then explicit overrides
(dotted keys, e.g. `{"paths.data_root": "/tmp/x"}`), then environment variables `VITRA_<SECTION>__<KEY>`
(e.g. `VITRA_PATHS__DATA_ROOT`). `VITRA_PROFILE` picks the profile and `VITRA_CONFIG_DIR` the folder.
Relative paths are relative to the project root (the folder that holds `configs/`).
Every problem is reported with the file or variable, the key and the reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vitra_core.errors import ConfigError
from vitra_core.captions.settings import CaptionerSettings
from vitra_core.episodes.lerobot_format import DatasetSettings
from vitra_core.camera.settings import CameraMotionSettings
from vitra_core.episodes.quality import QualitySettings
from vitra_core.hands.settings import HandPoseSettings
from vitra_core.segments.settings import SegmentSettings
from vitra_core.training.settings import FinetuneSettings, PolicyEvalSettings, PretrainSettings
from vitra_core.video.intrinsics import DEFAULT_FOV_DEG, FOV_RANGE_DEG
from vitra_core.video.normalise import NormaliseSettings
from vitra_core.video.probe import MediaLimits

ENV_PREFIX = "VITRA_"
_ENV_SEPARATOR = "__"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PathsConfig(_Section):
    data_root: Path = Path("data")
    inbox: Path = Path("data/inbox")
    samples: Path = Field(Path("../shared/data"), description="bundled sample clips used by `vitra demo`")
    runs: Path = Field(Path(".vitra/runs"), description="training work folders (checkpoints to resume from)")
    log_file: Path = Field(Path(".vitra/logs/vitra.log"),
                           description="where the CLI puts library output (warnings, MediaPipe's C++ log, Dagster "
                                       "DEBUG lines, tracebacks); `vitra --verbose` shows them instead")


class CameraConfig(_Section):
    default_fov_deg: float = Field(DEFAULT_FOV_DEG, ge=FOV_RANGE_DEG[0], le=FOV_RANGE_DEG[1], description="field of view across the long side")


class HandsConfig(_Section):
    extraction: HandPoseSettings = HandPoseSettings()
    min_detection_rate: float = Field(
        0.3, ge=0, le=1, description="the hand_poses check warns when fewer frames than this show any hand"
    )
    overlay_clip: bool = Field(False, description="also write overlay.mp4 with the landmarks drawn on every frame")


class EpisodeWriterConfig(_Section):
    workers: int = Field(1, ge=1, description="processes writing new videos' episodes as shards, appended in one "
                                             "cheap merge (vitra_core/episodes/shards.py); 1: in the step itself")


class InboxConfig(_Section):
    settle_s: float = Field(2.0, ge=0, description="ignore files modified more recently (still being copied)")
    max_files_per_tick: int = Field(20, ge=1)
    poll_interval_s: int = Field(10, ge=1)


class DvcConfig(_Section):
    repo_root: Path = Path(".")
    remote_name: str = "local"
    remote_url: str = Field(".vitra/dvc-remote", description="a local folder, or s3://, gs://, ssh:// ...")
    push: bool = True


class MlflowConfig(_Section):
    tracking_uri: str = "sqlite:///.vitra/mlflow.db"
    artifact_location: str = Field(".vitra/mlartifacts", description="a local folder, or s3://, gs:// ...")


class ExecutorConfig(_Section):
    """Where a run's steps execute: in the run worker (in_process), in subprocesses of it (multiprocess, Dagster's
    default) or one k8s pod per step."""

    kind: Literal["in_process", "multiprocess", "k8s"] = "in_process"
    k8s: dict[str, Any] = Field(default_factory=dict, description="dagster-k8s k8s_job_executor config (kind k8s)")


class DagsterConfig(_Section):
    home: Path = Path(".vitra/dagster_home")
    storage: Literal["sqlite", "postgres"] = "sqlite"
    postgres_url: str | None = None
    max_concurrent_runs: int = Field(2, ge=1)
    backfill_batch_size: int = Field(
        16, ge=1, description="videos per run in a backfill of the per-video stages (Dagster's multi-run backfill "
                              "policy and `vitra backfill`): each run pays its start-up, imports and DVC open once")
    automation_interval_s: int = Field(30, ge=1, description="how often declarative automation (episodes) is evaluated")
    executor: ExecutorConfig = ExecutorConfig()
    instance_yaml: Path | None = Field(
        None, description="use this dagster.yaml as is (e.g. a ConfigMap) instead of generating one in home")

    @model_validator(mode="after")
    def _postgres_needs_url(self) -> "DagsterConfig":
        if self.storage == "postgres" and not self.postgres_url:
            raise ValueError("storage 'postgres' needs postgres_url")
        return self


class TrainingTriggerConfig(_Section):
    """When training starts by itself: never (manual), at cron ticks when the dataset changed, or when it grew."""

    mode: Literal["manual", "cron", "growth"] = "manual"
    cron: str = Field("0 3 * * *", description="cron mode: when to train if the dataset differs from the last run's")
    timezone: str = "UTC"
    growth_fraction: float = Field(0.2, gt=0, description="growth mode: train at (1 + this) x the episodes trained on")
    min_episodes: int = Field(1, ge=1, description="never train on fewer episodes than this")
    check_interval_s: int = Field(60, ge=1, description="how often the trigger sensor looks")


class TorchrunConfig(_Section):
    """How `torchrun` launches training: nodes x processes per node, meeting at a c10d rendezvous."""

    nnodes: int = Field(1, ge=1)
    nproc_per_node: int = Field(1, ge=1)
    rdzv_endpoint: str = Field("127.0.0.1:29500", pattern=r"^[^:\s]+:\d+$", description="host:port of node 0")
    max_restarts: int = Field(0, ge=0)


class TrainingConfig(_Section):
    trigger: TrainingTriggerConfig = TrainingTriggerConfig()
    torchrun: TorchrunConfig = TorchrunConfig()


class PushSettings(_Section):
    """Pushes while recording a demonstrator that steers back (robot/sim/recording.py): how many per demo, how
    far, and when. 3-8 cm is the size of a reach (6-14 cm), so a push puts the hand where a policy's error
    would; pushes stop `settle_s` before the end so the demonstrator still finishes (it corrects 8 cm in ~0.5 s)."""

    count: int = Field(3, ge=0, description="pushes per demo (0: none)")
    length_m: tuple[float, float] = Field((0.03, 0.08), description="(shortest, longest) push of the wrist target")
    start_s: float = Field(0.3, ge=0, description="no push before this time into the episode")
    settle_s: float = Field(1.0, ge=0, description="no push in this last part of the episode")

    @field_validator("length_m")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= value[0] <= value[1]:
            raise ValueError(f"length_m {value}: want 0 <= shortest <= longest")
        return value


class RobotDemosSettings(_Section):
    """How many scripted demos of which simulated tasks (robot.sim names), at what control rate and image size."""

    episodes_per_task: int = Field(20, ge=1, description="demos per task, seeds 0..n-1")
    tasks: list[str] = Field(default_factory=lambda: ["palm_ball", "reach", "table_grasp"])
    control_hz: float = Field(10.0, gt=0, description="control rate = the dataset's fps")
    image_size_px: int = Field(224, ge=16)
    crf: int = Field(23, ge=0, le=51)
    pushes: PushSettings = PushSettings()


class DeployConfig(_Section):
    """How `deployed_policy` reaches the hand controller and signs what it sends."""

    controller_config: Path = Field(Path("configs/robot/controller.yaml"), description="the controller's own config")
    url: str | None = Field(None, description="default: http://<host>:<port> of controller_config")
    token_env: str = Field("VITRA_CONTROLLER_TOKEN", description="environment variable holding the deploy token")
    signing_key: Path = Field(Path(".vitra/keys/bundle_signing_key.pem"), description="Ed25519 private key (PEM)")
    bundles_dir: Path = Field(Path(".vitra/bundles"), description="signed bundles built for deployment")
    model: str = Field("vitra-policy", description="registered model to deploy: its `champion` only")
    model_version: str | None = Field(
        None, description="deploy this version of `model` instead of the champion (an explicit choice, stated "
                          "in the deployment's metadata); unset: the champion, and nothing when there is none")
    min_rate_fraction: float = Field(0.9, gt=0, le=1, description="the check wants the loop at this share of its rate")


class VitraConfig(_Section):
    profile: str = "default"
    project_root: Path = Field(Path("."), exclude=True)
    paths: PathsConfig = PathsConfig()
    normalise: NormaliseSettings = NormaliseSettings()
    media_limits: MediaLimits = MediaLimits()
    camera: CameraConfig = CameraConfig()
    hands: HandsConfig = HandsConfig()
    camera_motion: CameraMotionSettings = CameraMotionSettings()
    segments: SegmentSettings = SegmentSettings()
    captions: CaptionerSettings = CaptionerSettings()
    episodes: DatasetSettings = DatasetSettings()
    episode_quality: QualitySettings = QualitySettings()
    episode_writer: EpisodeWriterConfig = EpisodeWriterConfig()
    inbox: InboxConfig = InboxConfig()
    dvc: DvcConfig = DvcConfig()
    mlflow: MlflowConfig = MlflowConfig()
    dagster: DagsterConfig = DagsterConfig()
    training: TrainingConfig = TrainingConfig()
    pretrain: PretrainSettings = PretrainSettings()
    finetune: FinetuneSettings = FinetuneSettings()
    robot_demos: RobotDemosSettings = RobotDemosSettings()
    policy_eval: PolicyEvalSettings = PolicyEvalSettings()
    deploy: DeployConfig = DeployConfig()

    def resolve(self, path: Path | str) -> Path:
        """An absolute path for a project-relative one."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else (self.project_root / path).resolve()

    @property
    def data_root(self) -> Path:
        return self.resolve(self.paths.data_root)

    @property
    def inbox_dir(self) -> Path:
        return self.resolve(self.paths.inbox)

    @property
    def dvc_remote_url(self) -> str:
        url = self.dvc.remote_url
        return url if "://" in url else str(self.resolve(url))

    @property
    def runs_dir(self) -> Path:
        return self.resolve(self.paths.runs)

    @property
    def log_file(self) -> Path:
        return self.resolve(self.paths.log_file)

    @property
    def mlflow_artifact_location(self) -> str:
        """Artifact root of new experiments: a URL (s3://...) as is, a local folder as an absolute file URI."""
        location = self.mlflow.artifact_location
        return location if "://" in location else self.resolve(location).as_uri()

    @property
    def mlflow_tracking_uri(self) -> str:
        uri = self.mlflow.tracking_uri
        prefix = "sqlite:///"
        if uri.startswith(prefix) and not uri[len(prefix):].startswith("/"):
            return prefix + str(self.resolve(uri[len(prefix):]))
        return uri


def default_config_dir() -> Path:
    """`./configs` when run from a project checkout, else the one beside the installed package."""
    here = Path.cwd() / "configs"
    return here if (here / "default.yaml").is_file() else Path(__file__).resolve().parents[1] / "configs"


def _read_profile(config_dir: Path, profile: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    path = config_dir / f"{profile}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in config_dir.glob("*.yaml"))
        raise ConfigError(f"{path}: profile {profile!r} not found (available: {', '.join(available) or 'none'})")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if parent in seen:
        raise ConfigError(f"{path}: 'extends' loops through profile {parent!r}")
    return _deep_merge(_read_profile(config_dir, parent, seen + (profile,)), data)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = data.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {dotted!r}: {key!r} is not a section")
        data = node
    data[leaf] = value


def env_overrides(environ: Mapping[str, str]) -> dict[str, str]:
    """Dotted keys for every `VITRA_<SECTION>__<KEY>` variable, mapped to the variable's name."""
    found = {}
    for name in environ:
        if name.startswith(ENV_PREFIX) and _ENV_SEPARATOR in name:
            found[name[len(ENV_PREFIX):].lower().replace(_ENV_SEPARATOR, ".")] = name
    return found


def load_config(
    profile: str | None = None,
    config_dir: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> VitraConfig:
    """Load and validate a profile; raise ConfigError naming the source, the key and the reason."""
    environ = os.environ if environ is None else environ
    profile = profile or environ.get(f"{ENV_PREFIX}PROFILE", "default")
    config_dir = Path(config_dir or environ.get(f"{ENV_PREFIX}CONFIG_DIR") or default_config_dir()).resolve()
    data = _read_profile(config_dir, profile)
    sources: dict[str, str] = {}
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted, value)
        sources[dotted] = f"override {dotted!r}"
    for dotted, variable in env_overrides(environ).items():
        _set_dotted(data, dotted, environ[variable])
        sources[dotted] = f"environment variable {variable}"
    data["profile"] = profile
    data["project_root"] = config_dir.parent
    try:
        return VitraConfig.model_validate(data)
    except ValidationError as exc:
        default_source = str(config_dir / f"{profile}.yaml")
        lines = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            source = sources.get(key, default_source)
            lines.append(f"{source}: {key}: {error['msg']}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from exc
