"""The `captions` stage for one video: an instruction and rephrasings per segment, in `captions.json`."""

from __future__ import annotations

from vitra_core.captions.caption import caption_segments
from vitra_core.captions.captioner import Captioner
from vitra_core.captions.form import CaptionFormatError, validate
from vitra_core.captions.frames import video_frames_provider
from vitra_core.captions.model import SCHEMA_VERSION, VideoCaptions
from vitra_core.captions.settings import CaptionerSettings
from vitra_core.layout import DataLayout
from vitra_core.camera.stage import read_lifted_poses
from vitra_core.segments.stage import read_segments
from vitra_core.video.raw_clip import CLIP_FILE, RAW_CLIPS_STAGE

ALGORITHM_VERSION = "1"  # bump when the template wording or caption validation changes
CAPTIONS_STAGE, CAPTIONS_FILE = "captions", "captions.json"
CODE_VERSION = f"captions-v{ALGORITHM_VERSION}-schema{SCHEMA_VERSION}"


def read_captions(layout: DataLayout, video_id: str) -> VideoCaptions:
    return VideoCaptions.load(layout.stage_dir(CAPTIONS_STAGE, video_id) / CAPTIONS_FILE)


def build_captions(layout: DataLayout, video_id: str, settings: CaptionerSettings,
                   captioner: Captioner | None = None) -> VideoCaptions:
    """Caption one video; pass `captioner` to reuse one backend (its loaded model) across videos."""
    frames = video_frames_provider(layout.stage_dir(RAW_CLIPS_STAGE, video_id) / CLIP_FILE)
    captions = caption_segments(read_segments(layout, video_id), read_lifted_poses(layout, video_id), frames, settings,
                                captioner)
    captions.save(layout.stage_dir(CAPTIONS_STAGE, video_id) / CAPTIONS_FILE)
    return captions


def caption_problems(captions: VideoCaptions) -> list[str]:
    """Captions that are not in VITRA's form, fail the vocabulary rules, or lack 3 distinct rephrasings."""
    problems = []
    for c in captions.captions:
        where = f"{c.hand} {c.start_frame}-{c.end_frame}"
        for text in [c.instruction, *c.rephrasings]:
            try:
                validate(text, c.hand)
            except CaptionFormatError as exc:
                problems.append(f"{where}: {exc}")
        if len(set(c.rephrasings) - {c.instruction}) < 3:
            problems.append(f"{where}: fewer than 3 distinct rephrasings")
    return problems
