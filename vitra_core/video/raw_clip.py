"""The `raw_clips` stage for one video: normalised clip, thumbnail, intrinsics and `meta.json`.

`meta.json` is written last, so its presence means the stage finished for that video.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from vitra_core.fsutil import write_bytes_atomic, write_json_atomic
from vitra_core.layout import DataLayout
from vitra_core.video.ingest import SourceRecord
from vitra_core.video.intrinsics import Intrinsics, resolve_intrinsics
from vitra_core.video.normalise import NORMALISE_VERSION, NormaliseSettings, normalise_clip
from vitra_core.video.probe import MediaLimits, VideoProbe, probe_video
from vitra_core.video.thumbnail import thumbnail_jpeg

RAW_CLIPS_STAGE = "raw_clips"
CLIP_FILE, META_FILE, THUMBNAIL_FILE = "clip.mp4", "meta.json", "thumbnail.jpg"


class ClipMeta(BaseModel):
    """What later stages need to know about a normalised clip (`raw_clips/<id>/meta.json`)."""

    schema_version: int = 1
    video_id: str
    source_name: str
    raw_file: str
    source: VideoProbe
    clip: VideoProbe
    normalise: NormaliseSettings
    normalise_version: str = NORMALISE_VERSION
    intrinsics: Intrinsics


def read_source_record(layout: DataLayout, video_id: str) -> SourceRecord:
    return SourceRecord.model_validate_json(layout.source_record(video_id).read_text())


def read_clip_meta(layout: DataLayout, video_id: str) -> ClipMeta:
    return ClipMeta.model_validate(json.loads((layout.stage_dir(RAW_CLIPS_STAGE, video_id) / META_FILE).read_text()))


def build_raw_clip(
    layout: DataLayout, video_id: str, settings: NormaliseSettings, default_fov_deg: float,
    limits: MediaLimits | None = None,
) -> ClipMeta:
    """Normalise the stored source video `video_id` and describe the result."""
    raw = layout.raw_video(video_id)
    if raw is None:
        raise FileNotFoundError(f"video {video_id}: no source file in {layout.raw_dir}")
    record = read_source_record(layout, video_id)
    source = probe_video(raw)
    out_dir = layout.stage_dir(RAW_CLIPS_STAGE, video_id)
    clip = normalise_clip(raw, out_dir / CLIP_FILE, settings, source, limits)
    write_bytes_atomic(out_dir / THUMBNAIL_FILE, thumbnail_jpeg(out_dir / CLIP_FILE, clip.duration_s / 2))
    at_source = resolve_intrinsics(source.width, source.height, record.sidecar, default_fov_deg,
                                   source.rotation_deg)
    meta = ClipMeta(
        video_id=video_id,
        source_name=record.source_name,
        raw_file=raw.name,
        source=source,
        clip=clip,
        normalise=settings,
        intrinsics=at_source.scaled_to(clip.width, clip.height),
    )
    write_json_atomic(out_dir / META_FILE, meta)
    return meta
