"""Lineage of a deployed policy: bundle -> MLflow model and run -> pretrained model -> episodes (DVC hash)
-> source videos (raw SHA-256) -> code version of every stage that built them.

`policy_lineage` is computed when a bundle is built and travels in its signed manifest (`extra`);
`vitra lineage` reads it back from the controller and checks each link against MLflow and DVC now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import AssetKey, DagsterInstance
from pydantic import BaseModel

from vitra_assets.reprocess import materialized_code_versions
from vitra_core.config import VitraConfig
from vitra_core.episodes.meta import DatasetMeta
from vitra_core.episodes.stage import EPISODES_DIR, EPISODES_STAGE
from vitra_core.layout import DataLayout
from vitra_core.training.job import TrainingRecord, read_training_record
from vitra_core.training.pretrain import PRETRAINED_DIR
from vitra_core.versioning.dvc_store import DvcError, dvc_store_for
from vitra_core.video.raw_clip import read_source_record

if TYPE_CHECKING:
    from mlflow import MlflowClient

PER_VIDEO_STAGES = ("raw_clips", "hand_poses", "camera_motion", "segments", "captions")


class VideoLineage(BaseModel):
    video_id: str
    source_name: str
    raw_sha256: str
    code_versions: dict[str, str | None]  # per-video asset -> code version of its latest materialization


class PolicyLineage(BaseModel):
    """What the bundle manifest's `extra` carries beyond model, run, dataset hash and commit."""

    demos_fingerprint: str
    pretrained_model: str
    pretrained_version: str
    pretrained_run_id: str
    episodes_dvc_md5: str
    episodes: int
    corpus_code_versions: dict[str, str | None]
    videos: list[VideoLineage]


def policy_lineage(cfg: VitraConfig, instance: DagsterInstance, finetuned: TrainingRecord,
                   corpus_code_versions: dict[str, str | None]) -> PolicyLineage:
    pretrained = read_training_record(cfg.data_root / PRETRAINED_DIR)
    layout = DataLayout(cfg.data_root)
    meta = DatasetMeta.load(cfg.data_root / EPISODES_DIR)
    built = {stage: materialized_code_versions(instance, AssetKey(stage)) for stage in PER_VIDEO_STAGES}
    videos = []
    for video_id in sorted(meta.videos):
        source = read_source_record(layout, video_id)
        videos.append(VideoLineage(video_id=video_id, source_name=source.source_name, raw_sha256=source.sha256,
                                   code_versions={stage: built[stage].get(video_id) for stage in PER_VIDEO_STAGES}))
    return PolicyLineage(
        demos_fingerprint=finetuned.dataset_dvc_md5, pretrained_model=pretrained.model_name,
        pretrained_version=pretrained.model_version, pretrained_run_id=pretrained.run_id,
        episodes_dvc_md5=pretrained.dataset_dvc_md5, episodes=len(meta.episodes),
        corpus_code_versions=corpus_code_versions, videos=videos,
    )


def _run_line(client: MlflowClient, run_id: str) -> str:
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException:
        return f"run {run_id}: NOT FOUND in MLflow"
    return f"run {run_id} ({run.info.run_name}, {run.info.status})"


def render_lineage(cfg: VitraConfig, policy: dict) -> str:
    """The chain as text, each link checked against MLflow and DVC as they are now."""
    from mlflow import MlflowClient

    manifest = policy["manifest"]
    lineage = manifest["lineage"]
    extra = PolicyLineage.model_validate(lineage["extra"])
    client = MlflowClient(cfg.mlflow_tracking_uri)
    try:
        current = dvc_store_for(cfg).locked_outs(EPISODES_STAGE).get(f"data/{EPISODES_DIR}")
    except DvcError:
        current = None
    episodes_state = "the current dvc.lock version" if current == extra.episodes_dvc_md5 else f"dvc.lock now has {current}"
    lines = [
        f"bundle {policy['bundle_id']} (signed by key {policy['key_id']}, built {manifest['created_at']})",
        f"  model    {lineage['model_name']} v{lineage['model_version']}  {_run_line(client, lineage['run_id'])}",
        f"  git      {lineage['git_commit']}",
        f"  demos    robot_demos fingerprint {extra.demos_fingerprint}",
        f"  from     {extra.pretrained_model} v{extra.pretrained_version}  {_run_line(client, extra.pretrained_run_id)}",
        f"  episodes data/episodes DVC {extra.episodes_dvc_md5} ({extra.episodes} episodes; {episodes_state})",
        "  corpus code versions: " + ", ".join(f"{k} {v}" for k, v in extra.corpus_code_versions.items()),
        f"  {len(extra.videos)} source videos:",
    ]
    for video in extra.videos:
        versions = " ".join(f"{stage}={version}" for stage, version in video.code_versions.items())
        lines.append(f"    {video.video_id}  sha256 {video.raw_sha256}  {video.source_name}  [{versions}]")
    return "\n".join(lines)
