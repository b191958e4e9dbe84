"""`deployed_policy`: the `champion` `vitra-policy` (or the version pinned in `deploy.model_version`), bundled,
signed and live on the controller. With no champion and nothing pinned it deploys nothing and fails with
`NoChampionError`, saying so; the controller keeps whatever it runs."""

import hashlib
import json
import time

from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue, asset

from robot.bundle import BundleLineage, build_bundle, load_private_key
from robot.controller.config import load_controller_config
from robot.demos import CODE_VERSION as DEMOS_CODE_VERSION
from vitra_assets.controller import ControllerResource
from vitra_assets.lineage import policy_lineage
from vitra_assets.policy_eval import policy_eval
from vitra_assets.resources import VitraConfigResource
from vitra_core.episodes.stage import CODE_VERSION as EPISODES_CODE_VERSION
from vitra_core.errors import VitraError
from vitra_core.training.finetune import CODE_VERSION as FINETUNE_CODE_VERSION
from vitra_core.training.job import training_record_of_run
from vitra_core.training.pretrain import CODE_VERSION as PRETRAIN_CODE_VERSION
from vitra_core.training.tracking import CHAMPION, deployable_version, download_policy

CODE_VERSION = "deploy-v2-champion-only"  # v2: never the newest by default
LIVE_CHECK = "controller_serves_it"
HEALTH_TIMEOUT_S = 30.0
RATE_SETTLE_S = 3.0  # let the loop's rate window fill with the new policy running


def _wait_until_live(client, bundle_id: str) -> dict:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while True:
        health = client.health()
        if health["status"] == "ok" and health["active_bundle"] == bundle_id:
            return health
        if time.monotonic() > deadline:
            raise VitraError(f"controller did not report bundle {bundle_id} healthy within {HEALTH_TIMEOUT_S:.0f} s: {health}")
        time.sleep(0.5)


@asset(
    deps=[policy_eval],
    code_version=CODE_VERSION,
    group_name="robot",
    kinds={"mlflow"},
    check_specs=[AssetCheckSpec(LIVE_CHECK, asset="deployed_policy",
                                description="The controller reports this bundle active and its loop within 10% of its rate.")],
)
def deployed_policy(context: AssetExecutionContext, vitra: VitraConfigResource, controller: ControllerResource) -> MaterializeResult:
    """Bundles the champion (or the pinned version) with its lineage in the signed manifest, deploys it,
    waits for health. No champion and nothing pinned: raises NoChampionError before touching the controller."""
    cfg = vitra.load()
    version = deployable_version(cfg.mlflow_tracking_uri, cfg.deploy.model, cfg.deploy.model_version)
    selected_by = CHAMPION if cfg.deploy.model_version is None else "deploy.model_version (pinned)"
    if cfg.deploy.model_version is not None:
        context.log.warning(f"deploying {version.name} v{version.version} as pinned in deploy.model_version, "
                            f"whether or not it passed its promotion gate")
    bundles = cfg.resolve(cfg.deploy.bundles_dir)
    policy_dir = download_policy(cfg.mlflow_tracking_uri, version, bundles / "policies")
    record = training_record_of_run(cfg.mlflow_tracking_uri, version.run_id)
    corpus = {"episodes": EPISODES_CODE_VERSION, "pretrained_vla": PRETRAIN_CODE_VERSION,
              "robot_demos": DEMOS_CODE_VERSION, "finetuned_policy": FINETUNE_CODE_VERSION}
    lineage = policy_lineage(cfg, context.instance, record, corpus)
    bundle = build_bundle(policy_dir, BundleLineage(
        model_name=version.name, model_version=str(version.version), run_id=version.run_id,
        dataset_dvc_md5=record.dataset_dvc_md5, git_commit=record.git_commit, extra=lineage.model_dump(),
    ), load_private_key(cfg.resolve(cfg.deploy.signing_key)), bundles / f"{version.name}-v{version.version}.tar")
    client = controller.client()
    deployed = client.deploy(bundle)
    _wait_until_live(client, deployed["bundle_id"])
    time.sleep(RATE_SETTLE_S)
    health, active = client.health(), client.policy()
    target_hz = load_controller_config(cfg.resolve(cfg.deploy.controller_config)).loop.rate_hz
    live = active["bundle_id"] == deployed["bundle_id"]
    fast_enough = health["loop_rate_hz"] >= cfg.deploy.min_rate_fraction * target_hz
    context.log.info(f"deployed {version.name} v{version.version} as bundle {deployed['bundle_id']} to {controller.url}; "
                     f"loop {health['loop_rate_hz']:.1f} Hz of {target_hz}")
    return MaterializeResult(
        metadata={
            "controller_url": MetadataValue.url(controller.url),
            "model": f"{version.name} v{version.version}",
            "selected_by": selected_by,
            "mlflow_run_id": version.run_id,
            "bundle_id": deployed["bundle_id"],
            "bundle_sha256": hashlib.sha256(bundle.read_bytes()).hexdigest(),
            "bundle_path": MetadataValue.path(str(bundle)),
            "pretrained_from": f"{lineage.pretrained_model} v{lineage.pretrained_version} (run {lineage.pretrained_run_id})",
            "episodes_dvc_md5": lineage.episodes_dvc_md5,
            "source_videos": MetadataValue.md("\n".join(
                f"- `{v.video_id}` {v.source_name} sha256 `{v.raw_sha256[:16]}…`" for v in lineage.videos)),
            "manifest": MetadataValue.json(json.loads(json.dumps(active["manifest"], default=str))),
            "loop_rate_hz": round(health["loop_rate_hz"], 1),
        },
        check_results=[AssetCheckResult(
            check_name=LIVE_CHECK, passed=live and fast_enough,
            metadata={"active_bundle": active["bundle_id"] or "none", "loop_rate_hz": health["loop_rate_hz"],
                      "target_rate_hz": target_hz},
        )],
    )
