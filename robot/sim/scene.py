"""The MuJoCo scene: the Shadow hand from gymnasium-robotics on a 6-DoF mocap wrist, a table, a camera.

The hand model is loaded unmodified from the installed `gymnasium_robotics` package (MIT) and
edited through `mujoco.MjSpec`:
- its mount gets a free joint, and a weld ties a site at the wrist (the WRJ1 axis, fixed to the
  forearm) to a mocap body, so a commanded wrist pose is reached through a stiff but soft
  constraint: contacts with the table or an object push back instead of being violated;
- a wrist camera (`robot.sim.camera.WRIST_CAMERA`) is fixed to the forearm, and the package's green sky is
  made a neutral grey: the wrist camera sees it, and nothing but the reach target may be green;
- every hand body gets `gravcomp = 1` (MuJoCo's per-body gravity compensation, a passive force
  equal to the gravity term of `qfrc_bias`). The finger servos are weak (kp = 1 N m/rad), so
  without it the fingers would sag by their own weight and the wrist weld would carry 4.6 kg;
  objects still fall, so grasps must hold them by friction. The servo gains are left as shipped.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import mujoco
import numpy as np

from robot.sim.camera import SCENE_CAMERA, WRIST_CAMERA, HandCamera, SceneCamera

HAND_PREFIX = "robot0:"
MOUNT_BODY = "robot0:hand mount"
FOREARM_BODY = "robot0:forearm"
PALM_BODY = "robot0:palm"
WRIST_SITE = "vitra:wrist"
PALM_CENTRE_SITE = "vitra:palm_centre"
WRIST_TARGET_BODY = "vitra:wrist_target"
OBJECT_BODY = "vitra:object"
TARGET_BODY = "vitra:target"
FINGERTIP_SITES = {f: f"robot0:S_{f}tip" for f in ("ff", "mf", "rf", "lf", "th")}
# About 1 cm above the middle of the palm's inner face, in the palm frame (the palm faces -y).
PALM_CENTRE_IN_PALM_M = (0.01, -0.02, 0.045)
# The wrist point: where the forearm meets the wrist body (the WRJ1 axis), in the forearm frame.
WRIST_IN_FOREARM_M = (0.0, 0.0, 0.256)
TABLE_HALF_EXTENTS_M = (0.35, 0.35, 0.02)
TABLE_CENTRE_M = (0.0, 0.15)
TARGET_RADIUS_M = 0.015
TARGET_POST_HALF_M = 0.25  # longer than any target's height: the table hides the rest
SKY_RGB = ((0.62, 0.63, 0.66), (0.72, 0.73, 0.76))  # a grey room, darker at the top


class MissingAssetsError(FileNotFoundError):
    """The Shadow hand model was not found inside the installed gymnasium-robotics."""


@dataclass(frozen=True)
class ObjectSpec:
    """A free rigid object; `size_m` follows MJCF (sphere: radius; box: half extents; cylinder: radius, half height)."""

    shape: Literal["sphere", "box", "cylinder"]
    size_m: tuple[float, ...]
    mass_kg: float
    rgba: tuple[float, float, float, float] = (0.85, 0.25, 0.2, 1.0)


@dataclass(frozen=True)
class SceneSpec:
    """What a task adds to the hand, table and camera."""

    object: ObjectSpec | None = None
    target_marker: bool = False
    camera: SceneCamera = SCENE_CAMERA
    hand_camera: HandCamera = WRIST_CAMERA


def hand_assets_dir() -> Path:
    """The folder holding gymnasium-robotics' `hand/`, `stls/` and `textures/`."""
    package = importlib.util.find_spec("gymnasium_robotics")  # locate only: importing it registers every env
    if package is None or package.origin is None:
        raise MissingAssetsError("gymnasium_robotics is not installed; pip install gymnasium-robotics==1.4.2")
    assets = Path(package.origin).parent / "envs" / "assets"
    if not (assets / "hand" / "robot.xml").is_file():
        raise MissingAssetsError(f"{assets / 'hand' / 'robot.xml'}: Shadow hand model not found in gymnasium-robotics")
    return assets


def _object_xml(spec: ObjectSpec) -> str:
    size = " ".join(f"{v:g}" for v in spec.size_m)
    rgba = " ".join(f"{v:g}" for v in spec.rgba)
    return f"""
    <body name="{OBJECT_BODY}" pos="0 0 0.5">
      <freejoint name="{OBJECT_BODY}"/>
      <geom name="{OBJECT_BODY}" type="{spec.shape}" size="{size}" mass="{spec.mass_kg:g}" rgba="{rgba}"
            condim="6" friction="1.2 0.02 0.002" solimp="0.95 0.99 0.001"/>
    </body>"""


def _scene_xml(spec: SceneSpec) -> str:
    hand = hand_assets_dir() / "hand"
    cam = spec.camera
    table_x, table_y = TABLE_CENTRE_M
    half = TABLE_HALF_EXTENTS_M
    # The marker stands on a thin post down to (and through) the table, as a real target would sit on a stand:
    # where the post meets the table fixes the marker's depth, which one view of a floating dot leaves open.
    marker = (
        f'<body name="{TARGET_BODY}" mocap="true"><geom type="sphere" size="{TARGET_RADIUS_M:g}" rgba="0.1 0.8 0.2 1" '
        f'contype="0" conaffinity="0"/><geom type="cylinder" size="0.003 {TARGET_POST_HALF_M:g}" '
        f'pos="0 0 {-TARGET_POST_HALF_M:g}" rgba="0.9 0.9 0.9 1" contype="0" conaffinity="0"/></body>'
        if spec.target_marker
        else ""
    )
    return f"""
<mujoco model="vitra_shadow_hand">
  <compiler angle="radian" meshdir="{hand.parent / 'stls' / 'hand'}" texturedir="{hand.parent / 'textures'}"/>
  <option timestep="0.002" iterations="20" integrator="implicitfast"/>
  <include file="{hand / 'shared.xml'}"/>
  <asset>
    <include file="{hand / 'shared_asset.xml'}"/>
    <material name="vitra:table" rgba="0.55 0.42 0.3 1"/>
  </asset>
  <worldbody>
    <light directional="true" pos="0 0 2" dir="0.2 0.3 -1" diffuse="0.7 0.7 0.7" ambient="0.3 0.3 0.3"/>
    <geom name="vitra:floor" type="plane" pos="0 0 -0.75" size="3 3 0.1" rgba="0.3 0.3 0.32 1"/>
    <geom name="vitra:table" type="box" pos="{table_x} {table_y} {-half[2]}" size="{half[0]} {half[1]} {half[2]}"
          material="vitra:table" friction="1 0.005 0.0001"/>
    <camera name="{cam.name}" pos="{' '.join(f'{v:.9f}' for v in cam.position_world_m)}"
            xyaxes="{cam.mujoco_xyaxes()}" fovy="{cam.fovy_deg:g}"/>
    <include file="{hand / 'robot.xml'}"/>
    <body name="{WRIST_TARGET_BODY}" mocap="true"><site name="{WRIST_TARGET_BODY}" size="0.005"/></body>
    {marker}
    {_object_xml(spec.object) if spec.object else ""}
  </worldbody>
</mujoco>"""


@functools.lru_cache(maxsize=8)
def build_model(spec: SceneSpec = SceneSpec()) -> mujoco.MjModel:
    """Compile the scene for `spec` (cached: a model is read-only once built; make one MjData per episode)."""
    mjspec = mujoco.MjSpec.from_string(_scene_xml(spec))
    for texture in mjspec.textures:
        if texture.type == mujoco.mjtTexture.mjTEXTURE_SKYBOX:
            texture.rgb1, texture.rgb2 = SKY_RGB
    mount = mjspec.body(MOUNT_BODY)
    mount.add_freejoint(name="vitra:wrist_base")
    for body in [mount, *mount.find_all(mujoco.mjtObj.mjOBJ_BODY)]:
        body.gravcomp = 1.0
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, spec.hand_camera.rotation_forearm_cam().flatten())
    mjspec.body(FOREARM_BODY).add_camera(name=spec.hand_camera.name, pos=list(spec.hand_camera.position_m),
                                         quat=list(quat), fovy=spec.hand_camera.fovy_deg)
    mjspec.body(FOREARM_BODY).add_site(name=WRIST_SITE, pos=list(WRIST_IN_FOREARM_M), size=[0.005] * 3, group=3)
    mjspec.body(PALM_BODY).add_site(name=PALM_CENTRE_SITE, pos=list(PALM_CENTRE_IN_PALM_M), size=[0.005] * 3, group=3)
    mjspec.add_equality(
        type=mujoco.mjtEq.mjEQ_WELD,
        objtype=mujoco.mjtObj.mjOBJ_SITE,
        name1=WRIST_TARGET_BODY,
        name2=WRIST_SITE,
        solref=[0.01, 1.0],
    )
    return mjspec.compile()
