"""Mappings between a robot hand's joints and VITRA's 51-number human hand state."""

from robot.mapping.shadow import (
    COMMANDED_COMPONENTS,
    COUPLED_COMPONENTS,
    JOINT_TABLE,
    SHADOW_JOINTS,
    JointMap,
    coupled_distal_rad,
    human_to_shadow,
    shadow_to_human,
)

__all__ = [
    "COMMANDED_COMPONENTS", "COUPLED_COMPONENTS", "JOINT_TABLE", "SHADOW_JOINTS", "JointMap",
    "coupled_distal_rad", "human_to_shadow", "shadow_to_human",
]
