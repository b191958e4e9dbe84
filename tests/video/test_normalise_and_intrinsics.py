import json
import math
import subprocess

import pytest

from vitra_core.errors import InvalidVideoError
from vitra_core.video import (
    NormaliseSettings, iter_frames, normalise_clip, probe_video, read_sidecar, resolve_intrinsics,
)
from vitra_core.video.normalise import output_size

from .test_probe_and_frames import ffprobe_frames


@pytest.mark.parametrize(
    "relpath, frames, size",
    [
        ("lavila/ego4d_cf7c12db.gif", 60, (384, 288)),               # GIF, 25 fps -> 30 fps
        ("mediapipe_samples/hl_test_video.mp4", 242, (640, 360)),   # with audio, 25 fps, 8.08 s
        ("tfjs/asl_hand.25fps.mp4", 390, (414, 720)),               # portrait 1080p, long side capped
    ],
)
def test_normalised_clip_is_constant_fps_h264_without_audio(shared_data, tmp_path, relpath, frames, size):
    out = tmp_path / "clip.mp4"
    probe = normalise_clip(shared_data / relpath, out, NormaliseSettings(target_fps=30, max_long_side_px=720))
    assert probe.codec == "h264" and probe.has_audio is False
    assert probe.fps == 30.0
    assert (probe.width, probe.height) == size
    assert probe.frames == frames == ffprobe_frames(out)
    assert probe.duration_s == pytest.approx(frames / 30.0, abs=1e-3)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temp file left behind


def test_output_size_keeps_aspect_and_even_sides():
    assert output_size(1920, 1080, 720) == (720, 406)
    assert output_size(620, 1080, 720) == (414, 720)
    assert output_size(321, 181, 720) == (322, 182)  # never upscaled, only rounded to even


def test_failed_normalisation_leaves_no_partial_output(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    with pytest.raises(InvalidVideoError, match="bad.mp4"):
        normalise_clip(bad, tmp_path / "out.mp4", NormaliseSettings())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]


def test_default_intrinsics_come_from_the_field_of_view_on_the_long_side():
    intr = resolve_intrinsics(640, 360, None, 60.0)
    assert intr.source == "default_fov"
    assert intr.fx == intr.fy == pytest.approx(320 / math.tan(math.radians(30)))
    assert (intr.cx, intr.cy) == (320, 180)
    assert intr.fov_x_deg == pytest.approx(60.0)


def test_pinhole_sidecar_is_scaled_to_the_clip_resolution(tmp_path):
    video = tmp_path / "cam.mp4"
    (tmp_path / "cam.json").write_text(json.dumps({"fx": 1400, "fy": 1410, "cx": 960, "cy": 540, "width": 1920, "height": 1080}))
    intr = resolve_intrinsics(640, 360, read_sidecar(video), 60.0)
    assert intr.source == "sidecar_pinhole"
    assert (intr.fx, intr.fy, intr.cx, intr.cy) == pytest.approx((1400 / 3, 470, 320, 180))


def test_fov_sidecar_named_after_the_full_file_name(tmp_path):
    video = tmp_path / "cam.mp4"
    (tmp_path / "cam.mp4.json").write_text(json.dumps({"fov_deg": 90}))
    intr = resolve_intrinsics(400, 300, read_sidecar(video), 60.0)
    assert intr.source == "sidecar_fov" and intr.fx == pytest.approx(200.0)


def test_half_a_pinhole_sidecar_is_an_error_naming_the_file(tmp_path):
    (tmp_path / "cam.json").write_text(json.dumps({"fx": 1400}))
    with pytest.raises(InvalidVideoError, match=r"cam.json: sidecar is invalid: .*fx, fy, cx and cy must be given together"):
        read_sidecar(tmp_path / "cam.mp4")


@pytest.fixture(scope="module", params=["mov", "webm", "mkv"])
def recontainered_clip(request, shared_data, tmp_path_factory):
    """The real 2 s Ego4D clip in another container: MOV (stream copy), WebM (VP9 + Opus), MKV (copy)."""
    source = shared_data / "lavila/ego4d_3c0dffd0_012_014.mp4"
    out = tmp_path_factory.mktemp("containers") / f"ego4d.{request.param}"
    codecs = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"] if request.param == "webm" else ["-c", "copy"]
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(source), *codecs, str(out)], check=True)
    return out


def test_mov_webm_and_mkv_probe_decode_and_normalise(recontainered_clip, tmp_path):
    probe = probe_video(recontainered_clip)
    assert (probe.width, probe.height, probe.has_audio) == (384, 288, True)
    assert probe.duration_s == pytest.approx(2.0, abs=0.05)
    assert sum(1 for _ in iter_frames(recontainered_clip)) == 60
    clip = normalise_clip(recontainered_clip, tmp_path / "clip.mp4", NormaliseSettings())
    assert (clip.frames, clip.fps, clip.has_audio) == (60, 30.0, False)


def test_a_sidecar_may_only_say_the_video_is_mirrored(tmp_path):
    (tmp_path / "selfie.json").write_text(json.dumps({"mirrored": True}))
    sidecar = read_sidecar(tmp_path / "selfie.mp4")
    assert sidecar.mirrored is True
    assert resolve_intrinsics(640, 480, sidecar, 60.0).source == "default_fov"


def test_unknown_sidecar_keys_are_errors(tmp_path):
    (tmp_path / "cam.json").write_text(json.dumps({"focal": 500}))
    with pytest.raises(InvalidVideoError, match="focal: Extra inputs are not permitted"):
        read_sidecar(tmp_path / "cam.mp4")
