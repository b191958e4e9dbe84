"""The VLA model (ARCHITECTURE §5): vision + language + state + fov tokens and a cognition token through a
transformer, and a flow-matching head that generates a 16-step chunk of both hands' states.

Public surface (contract C1): VLAConfig (sizes; `VLAConfig.preset("tiny" | "small" | "base")`),
VLAPolicy (load / save / predict / predict_batch / spec), PolicySpec, Normaliser. Choices: docs/model.md.
"""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "config": ["PRESETS", "LanguageConfig", "ModelFileError", "PolicySpec", "VisionConfig", "VLAConfig"],
    "normaliser": ["Normaliser"],
    "policy": ["VLAPolicy"],
    "vla": ["VLA"],
})
