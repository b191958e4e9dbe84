"""`raw_clips`: one partition per ingested video: DVC-tracked source plus normalised clip."""

import hashlib

from dagster import (
    AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, MaterializeResult,
    MetadataValue, asset,
)

from vitra_assets.batching import PartitionResult, build_each, materialize_each
from vitra_assets.metadata import image_markdown
from vitra_assets.partitions import videos_partitions
from vitra_assets.resources import VitraConfigResource
from vitra_core.layout import DataLayout
from vitra_core.versioning.dvc_store import TrackedFile
from vitra_core.video.normalise import NORMALISE_VERSION, expected_frames
from vitra_core.video.raw_clip import CLIP_FILE, RAW_CLIPS_STAGE, THUMBNAIL_FILE, ClipMeta, build_raw_clip

CLIP_SANE_CHECK = "clip_matches_normalisation"


def clip_problems(meta: ClipMeta) -> list[str]:
    """Ways in which a normalised clip breaks the normalisation contract (empty list: none)."""
    problems = []
    settings, clip = meta.normalise, meta.clip
    expected = expected_frames(meta.source, settings.target_fps)
    if clip.frames != expected:
        problems.append(f"{clip.frames} frames, expected {expected}")
    if abs(clip.fps - settings.target_fps) > 1e-3:
        problems.append(f"fps {clip.fps}, expected {settings.target_fps}")
    if max(clip.width, clip.height) > settings.max_long_side_px:
        problems.append(f"size {clip.width}x{clip.height} exceeds long side {settings.max_long_side_px}")
    if clip.has_audio or clip.codec != "h264":
        problems.append(f"codec {clip.codec}, audio {clip.has_audio}; expected h264 without audio")
    return problems


@asset(
    partitions_def=videos_partitions,
    code_version=f"normalise-v{NORMALISE_VERSION}",
    group_name="per_video",
    kinds={"ffmpeg", "dvc"},
    check_specs=[
        AssetCheckSpec(
            CLIP_SANE_CHECK, asset=RAW_CLIPS_STAGE, blocking=True,
            description="The normalised clip has the configured fps, the expected frame count, size and codec.",
        )
    ],
)
def raw_clips(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """The source video, versioned with DVC, and its normalised clip (constant fps, H.264, capped size).

    A batch of videos is tracked and pushed by one `dvc add`/`dvc push` (one repository open per step)."""
    cfg = vitra.load()
    layout = vitra.layout()
    built = build_each(context, layout, lambda video_id: build_raw_clip(
        layout, video_id, cfg.normalise, cfg.camera.default_fov_deg, cfg.media_limits))
    files = [path for video_id, meta in built.items()
             for path in (layout.raw_dir / meta.raw_file, layout.source_record(video_id))]
    tracked = dict(zip(files, vitra.dvc_store().track(files)))
    return materialize_each(context, {
        video_id: _clip_result(context, layout, meta, tracked[layout.raw_dir / meta.raw_file])
        for video_id, meta in built.items()
    })


def _clip_result(context: AssetExecutionContext, layout: DataLayout, meta: ClipMeta, tracked: TrackedFile) -> PartitionResult:
    out_dir = layout.stage_dir(RAW_CLIPS_STAGE, meta.video_id)
    clip_sha = hashlib.sha256((out_dir / CLIP_FILE).read_bytes()).hexdigest()
    problems = clip_problems(meta)
    context.log.info(f"{meta.source_name} -> {meta.video_id}: {meta.clip.frames} frames at {meta.clip.fps:g} fps")
    intr = meta.intrinsics
    return PartitionResult(
        data_version=clip_sha[:16],
        metadata={
            "source_name": meta.source_name,
            "thumbnail": image_markdown((out_dir / THUMBNAIL_FILE).read_bytes(), meta.source_name),
            "source_container": meta.source.container,
            "source_codec": meta.source.codec,
            "source_fps": meta.source.fps,
            "source_frames": meta.source.frames,
            "source_duration_s": meta.source.duration_s,
            "source_size": f"{meta.source.width}x{meta.source.height}",
            "source_has_audio": meta.source.has_audio,
            "source_bytes": meta.source.size_bytes,
            "clip_path": MetadataValue.path(str(out_dir / CLIP_FILE)),
            "clip_fps": meta.clip.fps,
            "clip_frames": meta.clip.frames,
            "clip_duration_s": meta.clip.duration_s,
            "clip_size": f"{meta.clip.width}x{meta.clip.height}",
            "intrinsics_source": intr.source,
            "intrinsics_fx_fy_cx_cy": [round(v, 2) for v in (intr.fx, intr.fy, intr.cx, intr.cy)],
            "fov_x_deg": round(intr.fov_x_deg, 2),
            "fov_y_deg": round(intr.fov_y_deg, 2),
            "dvc_md5": tracked.md5,
            "dvc_file": MetadataValue.path(tracked.dvc_file),
            "dvc_remote": tracked.remote or "(push disabled)",
        },
        checks=[
            AssetCheckResult(
                check_name=CLIP_SANE_CHECK,
                passed=not problems,
                severity=AssetCheckSeverity.ERROR,
                metadata={"problems": "; ".join(problems) or "none"},
            )
        ],
    )
