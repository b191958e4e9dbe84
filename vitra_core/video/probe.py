"""Probe a file with ffprobe and decide whether it is a usable video, with a reason when it is not."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import ffmpeg
from pydantic import BaseModel, ConfigDict, Field

from vitra_core.errors import InvalidVideoError
from vitra_core.video.tools import last_error_line, require_tool

# Containers and codecs that hold a single still picture rather than a clip.
_STILL_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "bmp_pipe", "webp_pipe", "tiff_pipe"}


class VideoProbe(BaseModel):
    """Figures of a video's first video stream; width/height are as displayed (rotation applied), and
    `rotation_deg` is how far a player turns the stored frames counterclockwise to display them."""

    container: str
    codec: str
    width: int
    height: int
    rotation_deg: int
    fps: float
    frames: int
    duration_s: float
    has_audio: bool
    size_bytes: int


class MediaLimits(BaseModel):
    """Bounds a video must meet before anything decodes it (`media_limits` in configs/*.yaml).

    Checked on the probe alone (no decoding), at ingestion and again before normalising: a pixel bomb
    (huge frames in a tiny file) or a timestamp bomb (three frames an hour apart, which the fps filter
    would turn into 108,001 frames) is refused with a reason instead of exhausting memory or disk.
    """

    model_config = ConfigDict(extra="forbid")

    max_pixels_per_frame: int = Field(40_000_000, ge=1, description="8K UHD is 33 MP")
    max_frames: int = Field(216_000, ge=1, description="2 h at 30 fps")
    max_duration_s: float = Field(7200.0, gt=0)
    min_mean_fps: float = Field(1.0, gt=0, description="frames over their timestamp span; lower is a timestamp bomb")
    max_decode_errors: int = Field(0, ge=0, description="ffmpeg error lines on a full decode before a file is damaged")


def limits_problem(probe: "VideoProbe", limits: MediaLimits) -> str | None:
    """Why a probed video exceeds `limits` (None: it does not)."""
    pixels = probe.width * probe.height
    if pixels > limits.max_pixels_per_frame:
        return f"{probe.width}x{probe.height} frames ({pixels:,} pixels) exceed the limit of {limits.max_pixels_per_frame:,}"
    if probe.frames > limits.max_frames:
        return f"{probe.frames:,} frames exceed the limit of {limits.max_frames:,}"
    if probe.duration_s > limits.max_duration_s:
        return f"{probe.duration_s:.0f} s exceeds the limit of {limits.max_duration_s:.0f} s"
    mean_fps = probe.frames / probe.duration_s
    if mean_fps < limits.min_mean_fps:
        return (f"{probe.frames} frames span {probe.duration_s:.1f} s ({mean_fps:.3g} fps), below the minimum "
                f"of {limits.min_mean_fps:g} fps: normalising would invent {probe.duration_s * 30:,.0f} frames at 30 fps")
    return None


def check_limits(path: Path | str, probe: "VideoProbe", limits: MediaLimits) -> None:
    problem = limits_problem(probe, limits)
    if problem:
        raise InvalidVideoError(path, f"over the media limits: {problem}")


def decode_errors(path: Path | str) -> list[str]:
    """ffmpeg's error lines for a full decode of the first video stream (empty: the media decodes cleanly).

    A file can probe fine and decode its first frame while garbage in its media data damages most
    frames; only a full decode shows it.
    """
    cmd = [require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-i", str(path),
           "-map", "0:v:0", "-f", "null", "-"]
    done = subprocess.run(cmd, capture_output=True)
    lines = [line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if done.returncode != 0 and not lines:
        lines = [f"ffmpeg exited with status {done.returncode}"]
    return lines


def check_decodes(path: Path | str, limits: MediaLimits) -> None:
    errors = decode_errors(path)
    if len(errors) > limits.max_decode_errors:
        raise InvalidVideoError(
            path, f"damaged media: {len(errors)} decode error(s) on a full decode (first: {errors[0]})")


def _rate(text: str | None) -> float:
    try:
        value = Fraction(text or "0/0")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(value)


def _rotation(stream: dict) -> int:
    """Counterclockwise degrees: the display matrix's angle as ffprobe reports it; the legacy `rotate` tag
    counts clockwise."""
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return round(float(side["rotation"])) % 360
    return -int(stream.get("tags", {}).get("rotate", 0)) % 360


def probe_video(path: Path | str) -> VideoProbe:
    """Probe `path`; raise InvalidVideoError naming the file and the reason if it is not a usable video.

    Counts packets (cheap: no decoding) so a file cut short is caught even when its header is intact.
    A still image is refused: ingestion takes clips (the hand-pose stage reads photos directly).
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidVideoError(path, "file does not exist")
    size = path.stat().st_size
    if size == 0:
        raise InvalidVideoError(path, "empty file (0 bytes)")
    try:
        info = ffmpeg.probe(str(path), cmd=require_tool("ffprobe"), count_packets=None)
    except ffmpeg.Error as exc:
        raise InvalidVideoError(path, f"ffprobe cannot read it: {last_error_line(exc.stderr)}") from exc
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise InvalidVideoError(path, "no video stream")
    fmt = info.get("format", {})
    container = fmt.get("format_name", "")
    packets = int(video.get("nb_read_packets", 0) or 0)
    declared = int(video.get("nb_frames", 0) or 0)
    if declared and packets < declared:
        raise InvalidVideoError(path, f"truncated: header declares {declared} frames, file holds {packets}")
    if packets == 0:
        raise InvalidVideoError(path, "the video stream holds no frames")
    if container in _STILL_FORMATS or packets == 1:
        raise InvalidVideoError(path, f"a still image ({container}/{video.get('codec_name')}), not a video")
    fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    duration = float(video.get("duration") or fmt.get("duration") or 0.0)
    if fps <= 0 and duration > 0:
        fps = packets / duration
    if fps <= 0:
        raise InvalidVideoError(path, "frame rate cannot be determined")
    if duration <= 0:
        duration = packets / fps
    rotation = _rotation(video)
    width, height = int(video["width"]), int(video["height"])
    if rotation in (90, 270):
        width, height = height, width
    return VideoProbe(
        container=container,
        codec=video.get("codec_name", "unknown"),
        width=width,
        height=height,
        rotation_deg=rotation,
        fps=fps,
        frames=packets,
        duration_s=duration,
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        size_bytes=size,
    )
