"""The captions stage's algorithm for one video: one instruction per segment, from the configured backend
or, when that fails, from the template captioner (recording why).

Every instruction is checked against VITRA's form whichever backend wrote it; rephrasings that are
invalid or repeated are dropped and the template's rephrasings top the list up to three.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from vitra_core.captions.captioner import (
    Captioner, CaptionerError, CaptionRequest, CaptionText, FramesProvider, HandAction,
)
from vitra_core.captions.form import CaptionFormatError, validate
from vitra_core.captions.model import Caption, VideoCaptions
from vitra_core.captions.openai_backend import OpenAICaptioner
from vitra_core.captions.settings import CaptionerSettings
from vitra_core.captions.spatial import spatial_context
from vitra_core.captions.template import NUM_REPHRASINGS, TemplateCaptioner
from vitra_core.captions.transformers_backend import TransformersCaptioner
from vitra_core.hands.result import HandPoses
from vitra_core.segments.model import Segment, VideoSegments

logger = logging.getLogger(__name__)


def make_captioner(settings: CaptionerSettings) -> Captioner:
    """The backend `settings.backend` names (models load lazily, on the first caption)."""
    if settings.backend == "transformers":
        return TransformersCaptioner(settings.model_path or "", settings.num_frames, settings.max_new_tokens)
    if settings.backend == "openai":
        return OpenAICaptioner(settings.base_url or "", settings.model or "", settings.api_key_env, settings.timeout_s,
                               settings.max_new_tokens)
    return TemplateCaptioner()


def _other_hand(segment: Segment, segments: VideoSegments) -> Segment | None:
    """The other hand's segment sharing the most frames with `segment` (the earliest on a tie), or None."""
    best, best_overlap = None, 0
    for other in segments.segments:
        overlap = other.overlap_frames(segment.start_frame, segment.end_frame) if other.hand != segment.hand else 0
        if overlap > best_overlap:
            best, best_overlap = other, overlap
    return best


def _accept(text: CaptionText, hand: str, draft: CaptionText) -> CaptionText:
    """The backend's caption, validated, with distinct rephrasings topped up from the draft's."""
    instruction = validate(text.instruction, hand)
    rephrasings: list[str] = []
    for candidate in [*text.rephrasings, *draft.rephrasings]:
        try:
            candidate = validate(candidate, hand)
        except CaptionFormatError:
            continue
        if candidate != instruction and candidate not in rephrasings:
            rephrasings.append(candidate)
    return CaptionText(instruction, rephrasings[:NUM_REPHRASINGS])


def caption_segments(
    segments: VideoSegments,
    poses: HandPoses,
    frames_provider: FramesProvider | None = None,
    settings: CaptionerSettings | None = None,
    captioner: Captioner | None = None,
) -> VideoCaptions:
    """One Caption per segment, in the segments' order (method: docs/segments_and_captions.md).

    `frames_provider(start_frame, end_frame)` gives RGB frames; only image-based backends call it.
    `captioner` overrides the backend chosen by `settings` (e.g. a custom implementation of Captioner).
    """
    settings = settings or CaptionerSettings()
    template = TemplateCaptioner()
    backend = captioner or make_captioner(settings)
    failures, last_reason = 0, ""
    captions = []
    for segment in segments.segments:
        other = _other_hand(segment, segments)
        request = CaptionRequest(
            own=HandAction(segment, spatial_context(poses, segment.hand_index, segment.start_frame, segment.end_frame)),
            other=None if other is None else HandAction(
                other, spatial_context(poses, other.hand_index, other.start_frame, other.end_frame)),
            frames=None if frames_provider is None else
            (lambda s=segment: frames_provider(s.start_frame, s.end_frame)),
        )
        draft = template.caption(request)
        request = replace(request, draft=draft)
        text, name, reason = draft, template.name, None
        if backend.name != template.name:
            if failures >= settings.max_consecutive_failures:
                reason = f"{backend.name} skipped after {failures} failures in a row (last: {last_reason})"
            else:
                try:
                    text, name, failures = _accept(backend.caption(request), segment.hand, draft), backend.name, 0
                except (CaptionerError, CaptionFormatError) as exc:
                    failures, last_reason = failures + 1, str(exc)
                    reason = f"{backend.name}: {exc}"
                except Exception as exc:  # a backend's own bug must not stop the stage; the reason records it
                    logger.exception("captioner %s crashed on frames %d..%d", backend.name, segment.start_frame,
                                     segment.end_frame)
                    failures, last_reason = failures + 1, f"{type(exc).__name__}: {exc}"
                    reason = f"{backend.name} crashed: {last_reason}"
        captions.append(Caption(
            hand=segment.hand, start_frame=segment.start_frame, end_frame=segment.end_frame,
            instruction=text.instruction, rephrasings=text.rephrasings, captioner=name, fallback_reason=reason,
        ))
    return VideoCaptions(video_id=segments.video_id, captions=captions)
