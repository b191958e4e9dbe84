"""Captions stage: per segment an instruction in VITRA's form ("Left hand: ... Right hand: ...") plus rephrasings.

Entry point `caption_segments(segments, poses, frames_provider, settings) -> VideoCaptions`; backends:
template (default, offline), transformers (local image-to-text model), openai (chat endpoint). Method in
docs/segments_and_captions.md.
"""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "caption": ["caption_segments", "make_captioner"],
    "captioner": ["Captioner", "CaptionerError", "CaptionRequest", "CaptionText", "FramesProvider", "HandAction"],
    "form": ["CaptionFormatError", "compose", "parse", "validate"],
    "frames": ["video_frames_provider"],
    "model": ["SCHEMA_VERSION", "Caption", "CaptionsFileError", "VideoCaptions"],
    "openai_backend": ["OpenAICaptioner"],
    "settings": ["CaptionerSettings"],
    "spatial": ["SpatialContext", "spatial_context"],
    "template": ["TemplateCaptioner"],
    "transformers_backend": ["TransformersCaptioner"],
})
