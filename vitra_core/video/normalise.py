"""Normalise any input clip to one training format: constant fps, H.264/yuv420p, no audio, long side capped.

Every later stage reads the normalised clip, so frame indices and timestamps mean the same thing for
every video (frame i is at i / fps seconds).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from vitra_core.errors import InvalidVideoError
from vitra_core.fsutil import atomic_path
from vitra_core.video.probe import MediaLimits, VideoProbe, check_limits, probe_video
from vitra_core.video.tools import last_error_line, require_tool

NORMALISE_VERSION = "1"


class NormaliseSettings(BaseModel):
    """How every clip is normalised; part of `configs/*.yaml` (section `normalise`)."""

    model_config = ConfigDict(extra="forbid")

    target_fps: float = Field(30.0, gt=0, le=240)
    max_long_side_px: int = Field(720, ge=64)
    crf: int = Field(18, ge=0, le=51, description="x264 quality; lower is better and larger")
    preset: str = "veryfast"


def output_size(width: int, height: int, max_long_side_px: int) -> tuple[int, int]:
    """Size after capping the long side, rounded to even numbers as yuv420p requires."""
    scale = min(1.0, max_long_side_px / max(width, height))
    return (max(2, int(width * scale / 2 + 0.5) * 2), max(2, int(height * scale / 2 + 0.5) * 2))


def expected_frames(source: VideoProbe, target_fps: float) -> int:
    """Frames the normalised clip must have: the source's frame count over its rate, resampled.

    Containers with coarse timestamps (MKV's milliseconds) can make the fps filter add a frame at
    the end; capping the output at this count keeps every container consistent.
    """
    return max(1, round(source.frames / source.fps * target_fps))


def normalise_clip(
    source: Path, target: Path, settings: NormaliseSettings, source_probe: VideoProbe | None = None,
    limits: MediaLimits | None = None,
) -> VideoProbe:
    """Transcode `source` into `target` (atomically) and return the probe of the result.

    The source must be within `limits` (checked on the probe, before ffmpeg decodes anything).
    """
    probe = source_probe or probe_video(source)
    check_limits(source, probe, limits or MediaLimits())
    width, height = output_size(probe.width, probe.height, settings.max_long_side_px)
    fps = f"{settings.target_fps:g}"
    cmd = [
        require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-i", str(source), "-map", "0:v:0", "-an", "-sn", "-dn",
        "-vf", f"fps={fps},scale={width}:{height}:flags=area,setsar=1",
        "-r", fps, "-frames:v", str(expected_frames(probe, settings.target_fps)),
        "-c:v", "libx264", "-preset", settings.preset, "-crf", str(settings.crf),
        "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-map_metadata", "-1", "-f", "mp4",
    ]
    with atomic_path(target) as tmp:
        done = subprocess.run([*cmd, str(tmp)], capture_output=True)
        if done.returncode != 0:
            raise InvalidVideoError(source, f"ffmpeg could not normalise it: {last_error_line(done.stderr)}")
        return probe_video(tmp)
