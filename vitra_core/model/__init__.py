"""The VLA model (ARCHITECTURE §5): vision + language + state + fov tokens and a cognition token through a
transformer, and a flow-matching head that generates a 16-step chunk of both hands' states.

Public surface (contract C1): VLAConfig (sizes; `VLAConfig.preset("tiny" | "small" | "base")`),
VLAPolicy (load / save / predict / predict_batch / spec), PolicySpec, Normaliser. Choices: docs/model.md.
"""

from vitra_core.model.config import PRESETS, LanguageConfig, ModelFileError, PolicySpec, VisionConfig, VLAConfig
from vitra_core.model.normaliser import Normaliser
from vitra_core.model.policy import VLAPolicy
from vitra_core.model.vla import VLA

__all__ = ["LanguageConfig", "ModelFileError", "Normaliser", "PRESETS", "PolicySpec", "VLA", "VLAConfig",
           "VLAPolicy", "VisionConfig"]
