"""The one `Definitions` object of VITRA-Ops (`dagster dev -m vitra_assets.definitions`)."""

from __future__ import annotations

from dagster import Definitions

from vitra_assets.automation import build_automation_sensor, build_nightly_dataset_schedule
from vitra_assets.camera_motion import camera_motion
from vitra_assets.captions import captions
from vitra_assets.controller import ControllerResource, controller_url
from vitra_assets.deployed_policy import deployed_policy
from vitra_assets.finetuned_policy import finetuned_policy
from vitra_assets.policy_eval import policy_eval
from vitra_assets.pretrained_vla import pretrained_vla
from vitra_assets.pretraining_benefit import pretraining_benefit
from vitra_assets.robot_demos import robot_demos
from vitra_assets.training_trigger import build_training_trigger
from vitra_assets.vla_eval import vla_eval
from vitra_assets.episodes import episodes
from vitra_assets.executor import build_executor
from vitra_assets.hand_poses import hand_poses
from vitra_assets.inbox import build_inbox_sensor
from vitra_assets.jobs import JOB_NAMED, JOBS, PER_VIDEO_JOB
from vitra_assets.partitions import batched
from vitra_assets.raw_clips import raw_clips
from vitra_assets.segments import segments
from vitra_assets.resources import VitraConfigResource
from vitra_core.config import VitraConfig, load_config


# The per-video stages in order (group and job `per_video`): a new video's run materializes all of them.
PER_VIDEO_ASSETS = [raw_clips, hand_poses, camera_motion, segments, captions]
# Corpus-level assets after the dataset, in order: the model, then the robot side.
MODEL_ASSETS = [pretrained_vla, vla_eval]
ROBOT_ASSETS = [robot_demos, finetuned_policy, policy_eval, pretraining_benefit, deployed_policy]


def build_definitions(cfg: VitraConfig) -> Definitions:
    return Definitions(
        assets=[*batched(PER_VIDEO_ASSETS, cfg.dagster.backfill_batch_size), episodes, *MODEL_ASSETS, *ROBOT_ASSETS],
        jobs=JOBS,
        schedules=[build_nightly_dataset_schedule(JOB_NAMED["dataset"])],
        sensors=[
            build_inbox_sensor(cfg.inbox.poll_interval_s, PER_VIDEO_JOB),
            build_automation_sensor(cfg.dagster.automation_interval_s),
            build_training_trigger(pretrained_vla.key, cfg.training.trigger),
        ],
        resources={"vitra": VitraConfigResource(),
                   "controller": ControllerResource(url=controller_url(cfg), token_env=cfg.deploy.token_env)},
        executor=build_executor(cfg),
    )


defs = build_definitions(load_config())
