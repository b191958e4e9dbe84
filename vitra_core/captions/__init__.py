"""Captions stage: per segment an instruction in VITRA's form ("Left hand: ... Right hand: ...") plus rephrasings.

Entry point `caption_segments(segments, poses, frames_provider, settings) -> VideoCaptions`; backends:
template (default, offline), transformers (local image-to-text model), openai (chat endpoint). Method in
docs/segments_and_captions.md.
"""

from vitra_core.captions.caption import caption_segments, make_captioner
from vitra_core.captions.captioner import (
    Captioner, CaptionerError, CaptionRequest, CaptionText, FramesProvider, HandAction,
)
from vitra_core.captions.form import CaptionFormatError, compose, parse, validate
from vitra_core.captions.frames import video_frames_provider
from vitra_core.captions.model import SCHEMA_VERSION, Caption, CaptionsFileError, VideoCaptions
from vitra_core.captions.openai_backend import OpenAICaptioner
from vitra_core.captions.settings import CaptionerSettings
from vitra_core.captions.spatial import SpatialContext, spatial_context
from vitra_core.captions.template import TemplateCaptioner
from vitra_core.captions.transformers_backend import TransformersCaptioner

__all__ = [
    "SCHEMA_VERSION", "Caption", "CaptionFormatError", "CaptionRequest", "CaptionText", "Captioner", "CaptionerError",
    "CaptionerSettings", "CaptionsFileError", "FramesProvider", "HandAction", "OpenAICaptioner", "SpatialContext",
    "TemplateCaptioner", "TransformersCaptioner", "VideoCaptions", "caption_segments", "compose", "make_captioner",
    "parse", "spatial_context", "validate", "video_frames_provider",
]
