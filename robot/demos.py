"""Robot demonstrations: scripted demos of every simulated task, written as a LeRobot-format episode dataset.

The dataset has exactly the human dataset's format (docs/episodes.md): the Shadow hand's joints and
wrist are mapped to the human right-hand state (`shadow_to_human`), mask (0, 1), the task's instruction,
224 px video at the control rate and its field of view from the task's camera (`Task.view`: the scene camera,
or the wrist camera for reach; the state stays in the scene camera's frame either way). The state is what the
hand was observed at; the action is what the demonstrator commanded (joint and wrist targets, mapped the
same way), never the next observed state: the compliant fingers lag their targets by up to ~0.7 rad,
so the command, not the pose it produced, is what reproduces a grip (LeRobot's convention). A pushed demo
(`settings.pushes`, robot/sim/recording.py) records the command the demonstrator meant, not the push. Only successful demos
become training episodes; every demo's seed and outcome, and the demonstrators' success rate per
task, are kept in `meta/robot_demos.json`. Seeds 0..n-1 per task, so a build is deterministic.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from robot.drivers.base import WristPose
from robot.mapping.shadow import ACTUATED_NAMES, JOINT_NAMES, shadow_to_human
from robot.policy_adapter import RIGHT_HAND, STATE_MASK
from vitra_core.episodes import DatasetSettings, RecordedEpisode, RecordedEpisodesInput, add_recorded
from vitra_core.config import RobotDemosSettings
from vitra_core.episodes.state_layout import ACTION_DIM, STATE_DIM
from vitra_core.errors import VitraError
from vitra_core.fsutil import write_json_atomic

if TYPE_CHECKING:
    from robot.sim.recording import EpisodeRecord

CODE_VERSION = "robot_demos-v6"  # v6: reach recorded from the wrist camera; v5: reach demos pushed (DART); v4: camera aimed at the work area, larger reach target; v3: reach target on a post; v2: action = commanded targets (was the next state)
DATASET_DIR = "robot_demos"  # under the data root
REPORT_FILE = "meta/robot_demos.json"
ROBOT_TYPE = "shadow_hand_sim"
TRAINING_EPISODES = "successful demonstrations only; failed ones are counted here but not written"


class TaskDemos(BaseModel):
    """One task's demonstrations: how many ran, succeeded, and which dataset episodes they became."""

    task: str
    instruction: str
    demos: int
    successes: int
    success_rate: float
    failed_seeds: list[int]
    episode_indices: list[int]
    frames: int


class DemoReport(BaseModel):
    """`meta/robot_demos.json`: the build's settings and the demonstrators' record per task."""

    settings: RobotDemosSettings
    tasks: dict[str, TaskDemos]
    episodes: int
    frames: int
    training_episodes: str = TRAINING_EPISODES
    robot_type: str = ROBOT_TYPE


class DemoBuildError(VitraError):
    """A demonstration dataset could not be built (e.g. no demo of a task succeeded)."""


def _right_hand_rows(joints_rad: np.ndarray, wrist: np.ndarray) -> np.ndarray:
    """[T, 104] dataset rows: `shadow_to_human` of each (joints, wrist (7,)) in the right-hand slot, left zeros, mask (0, 1)."""
    rows = np.zeros((len(wrist), STATE_DIM), dtype=np.float32)
    for t, (joints, pose) in enumerate(zip(joints_rad, wrist)):
        rows[t, RIGHT_HAND] = shadow_to_human(joints, WristPose(pose[:3], pose[3:]))
    rows[:, ACTION_DIM:] = STATE_MASK
    return rows


def record_state(record: EpisodeRecord) -> np.ndarray:
    """[T, 104] dataset states of a recording: the observed joints and wrist before each step."""
    if record.joint_names != list(JOINT_NAMES):
        raise DemoBuildError(f"recording of {record.task} seed {record.seed} has joints {record.joint_names}, "
                             f"expected {list(JOINT_NAMES)}")
    return _right_hand_rows(record.joint_positions_rad, record.wrist)


def record_action(record: EpisodeRecord) -> np.ndarray:
    """[T, 104] dataset actions of a recording: the joint and wrist targets commanded at each step.

    Packed as the state (passive distal joints at their coupled value), so `action_to_command` of a
    row gives back the command that was sent (the demonstrators keep WRJ1 and WRJ0 at 0, the split
    `action_to_command` assumes).
    """
    if record.actuated_joint_names != list(ACTUATED_NAMES):
        raise DemoBuildError(f"recording of {record.task} seed {record.seed} commands joints "
                             f"{record.actuated_joint_names}, expected {list(ACTUATED_NAMES)}")
    return _right_hand_rows(record.action_joint_targets_rad, record.action_wrist)


@contextmanager
def _replacing(root: Path) -> Iterator[Path]:
    """A fresh folder to build in; on success it replaces `root` as a whole, on failure it is dropped."""
    building = root.parent / f".{root.name}.building"
    old = root.parent / f".{root.name}.old"
    for leftover in (building, old):
        shutil.rmtree(leftover, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        yield building
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    if root.exists():
        os.replace(root, old)
    os.replace(building, root)
    shutil.rmtree(old, ignore_errors=True)


def _record_task(dataset: Path, task: str, settings: RobotDemosSettings, dataset_settings: DatasetSettings,
                 preview: list[np.ndarray]) -> TaskDemos:
    """Record and write one task's demos (one source per demo, so memory holds one episode at a time)."""
    from robot.sim.driver import SimHandDriver  # mujoco: only when demos are recorded
    from robot.sim.recording import record_episode

    failed, indices, frames = [], [], 0
    size = (settings.image_size_px, settings.image_size_px)
    with SimHandDriver(task, control_hz=settings.control_hz, image_size=size) as driver:
        fov_deg = driver.camera_fov_deg(driver.view)
        for seed in range(settings.episodes_per_task):
            record = record_episode(driver, seed, settings.pushes)
            if not record.success:
                failed.append(seed)
                continue
            if not indices:
                picks = np.linspace(0, len(record.images) - 1, 4).astype(int)
                preview.append(np.concatenate(list(record.images[picks]), axis=1))
            episode = RecordedEpisode(record.images, record_state(record), record.instruction, "right",
                                      {"task": task, "seed": seed, "success": True}, action=record_action(record))
            source = RecordedEpisodesInput(f"{task}_seed{seed:04d}", record.fps, fov_deg, [episode])
            update = add_recorded(dataset, source, dataset_settings)
            indices += update.episode_indices
            frames += update.frames
    n = settings.episodes_per_task
    return TaskDemos(task=task, instruction=driver.task.instruction, demos=n, successes=n - len(failed),
                     success_rate=(n - len(failed)) / n, failed_seeds=failed, episode_indices=indices, frames=frames)


def build_robot_demos(root: Path | str, settings: RobotDemosSettings | None = None) -> tuple[DemoReport, np.ndarray]:
    """Record every task's demos and write the dataset at `root`, replacing what was there.

    Returns the report (also written to `root/meta/robot_demos.json`) and a preview RGB image
    [tasks * S, 4 * S, 3] (a row of four frames of each task's first successful demo).
    """
    from robot.sim.tasks import get_task

    settings = settings or RobotDemosSettings()
    for task in settings.tasks:
        get_task(task)  # unknown names fail before anything is recorded
    root = Path(root)
    dataset_settings = DatasetSettings(fps=settings.control_hz, image_size_px=settings.image_size_px,
                                       crf=settings.crf, robot_type=ROBOT_TYPE)
    preview: list[np.ndarray] = []
    with _replacing(root) as building:
        tasks = {task: _record_task(building, task, settings, dataset_settings, preview) for task in settings.tasks}
        empty = [task for task, demos in tasks.items() if demos.successes == 0]
        if empty:
            seeds = f"seeds 0..{settings.episodes_per_task - 1}"
            raise DemoBuildError(f"no demonstration of {', '.join(empty)} succeeded ({seeds})")
        report = DemoReport(settings=settings, tasks=tasks, episodes=sum(t.successes for t in tasks.values()),
                            frames=sum(t.frames for t in tasks.values()))
        write_json_atomic(building / REPORT_FILE, report)
    return report, np.concatenate(preview, axis=0)


def read_demo_report(root: Path | str) -> DemoReport:
    """The report a build left in `root/meta/robot_demos.json`."""
    path = Path(root) / REPORT_FILE
    if not path.is_file():
        raise DemoBuildError(f"{path}: no robot demo report (build the dataset with build_robot_demos)")
    return DemoReport.model_validate_json(path.read_text())


def dataset_fingerprint(root: Path | str) -> str:
    """SHA-256 prefix over every episode parquet and the report: equal for equal states, tasks and outcomes.

    Videos are left out: their bytes depend on the ffmpeg/x264 build, not on the recording.
    """
    root = Path(root)
    digest = hashlib.sha256()
    for path in [*sorted((root / "data").rglob("*.parquet")), root / REPORT_FILE]:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
