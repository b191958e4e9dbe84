"""Named jobs: the pipeline as a person launches it from the UI's Jobs page (and the CLI runs it).

| job | assets | partitioned |
|---|---|---|
| `per_video` | raw_clips, hand_poses, camera_motion, segments, captions | by `videos` (one run per video) |
| `dataset` | episodes | no |
| `train` | pretrained_vla, vla_eval (its promotion gate) | no |
| `robot` | robot_demos, finetuned_policy, policy_eval (its promotion gate) | no |
| `benefit` | pretraining_benefit (pretrained vs scratch init over demo counts) | no |
| `deploy` | deployed_policy (the champion only) | no |

Each job selects its assets with their asset checks. The inbox sensor requests `per_video` runs, and the
CLI runs a selection through the job that holds it (a part of a job, e.g. a video resumed from its
third stage, is still a run of that job), so runs read as the pipeline on the Overview timeline.
"""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

from vitra_assets.camera_motion import camera_motion
from vitra_assets.captions import captions
from vitra_assets.deployed_policy import deployed_policy
from vitra_assets.episodes import episodes
from vitra_assets.finetuned_policy import finetuned_policy
from vitra_assets.hand_poses import hand_poses
from vitra_assets.policy_eval import policy_eval
from vitra_assets.pretrained_vla import pretrained_vla
from vitra_assets.pretraining_benefit import pretraining_benefit
from vitra_assets.raw_clips import raw_clips
from vitra_assets.robot_demos import robot_demos
from vitra_assets.segments import segments
from vitra_assets.vla_eval import vla_eval

_CHAINS = {
    "per_video": ([raw_clips, hand_poses, camera_motion, segments, captions],
                  "A new video's stages, one run per `videos` partition (the inbox sensor launches it)."),
    "dataset": ([episodes], "The LeRobot episode dataset from every captioned video (automation updates it)."),
    "train": ([pretrained_vla, vla_eval], "Pretrain the VLA, then evaluate it against its baselines (promotion gate)."),
    "robot": ([robot_demos, finetuned_policy, policy_eval],
              "Robot demonstrations, the fine-tuned policy and its roll-out evaluation (promotion gate)."),
    "benefit": ([pretraining_benefit],
                "Train pretrained-init and scratch-init policies at several demo counts; success vs demos, plotted."),
    "deploy": ([deployed_policy], "Bundle the `champion` policy and deploy it on the hand controller."),
}

JOBS = [
    define_asset_job(name, selection=AssetSelection.assets(*assets), description=description)  # partitions: inferred
    for name, (assets, description) in _CHAINS.items()
]
JOB_NAMED = {job.name: job for job in JOBS}
PER_VIDEO_JOB = JOB_NAMED["per_video"]

# Asset key -> the named job it belongs to.
JOB_OF: dict[AssetKey, str] = {asset.key: name for name, (assets, _) in _CHAINS.items() for asset in assets}


def job_for(assets: list[AssetKey]) -> str | None:
    """The named job holding every asset of a selection, or None (then the implicit asset job runs it)."""
    names = {JOB_OF.get(key) for key in assets}
    return names.pop() if len(names) == 1 and None not in names else None
