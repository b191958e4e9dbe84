import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from vitra_core.errors import InvalidVideoError
from vitra_core.video import iter_frames, probe_video, sha256_file, video_id_from_sha256


def ffprobe_frames(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames", "-of", "json", str(path)],
        capture_output=True, check=True,
    ).stdout
    return int(json.loads(out)["streams"][0]["nb_read_frames"])


@pytest.mark.parametrize(
    "relpath, frames, fps, duration_s, size, audio",
    [
        ("tfjs/asl_hand.25fps.mp4", 325, 25.0, 13.0, (620, 1080), False),
        ("mediapipe_samples/hl_test_video.mp4", 202, 25.0, 8.08, (640, 360), True),
        ("lavila/ego4d_cf7c12db.gif", 50, 25.0, 2.0, (384, 288), False),
        ("lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif", 40, 10.0, 4.0, (320, 180), False),
    ],
)
def test_probe_reports_the_figures_of_real_clips(shared_data, relpath, frames, fps, duration_s, size, audio):
    probe = probe_video(shared_data / relpath)
    assert probe.frames == frames == ffprobe_frames(shared_data / relpath)
    assert probe.fps == pytest.approx(fps)
    assert probe.duration_s == pytest.approx(duration_s, abs=0.01)
    assert (probe.width, probe.height) == size
    assert probe.has_audio is audio


def test_frames_stream_every_frame_with_exact_timestamps(shared_data):
    frames = [(f.index, f.timestamp_s, f.rgb.shape, f.rgb.mean()) for f in iter_frames(shared_data / "lavila/ego4d_cf7c12db.gif")]
    assert len(frames) == 50
    assert [f[0] for f in frames] == list(range(50))
    assert np.allclose([f[1] for f in frames], np.arange(50) / 25.0, atol=1e-9)
    assert {f[2] for f in frames} == {(288, 384, 3)}
    assert len({round(f[3], 3) for f in frames}) > 10  # real, changing content


def test_frames_can_stop_early_without_decoding_the_rest(shared_data):
    first = list(iter_frames(shared_data / "tfjs/asl_hand.25fps.mp4", max_frames=3))
    assert [f.timestamp_s for f in first] == pytest.approx([0.0, 0.04, 0.08])
    assert first[0].rgb.shape == (1080, 620, 3)


def test_video_id_is_a_prefix_of_the_content_hash(shared_data, tmp_path):
    source = shared_data / "lavila/ego4d_cf7c12db.gif"
    renamed = tmp_path / "another name.gif"
    renamed.write_bytes(source.read_bytes())
    sha = sha256_file(source)
    assert len(sha) == 64
    assert video_id_from_sha256(sha) == video_id_from_sha256(sha256_file(renamed)) == sha[:16]


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda d, p: p.write_bytes(b""), "empty file (0 bytes)"),
        (lambda d, p: p.write_text("this is not a video\n" * 20), "ffprobe cannot read it"),
        (lambda d, p: p.write_bytes((d / "mediapipe_samples/hl_test_video.mp4").read_bytes()[:10240]),
         "truncated: header declares 202 frames, file holds 1"),
        (lambda d, p: p.write_bytes((d / "tfjs/hands.jpg").read_bytes()), "a still image"),
    ],
    ids=["zero-byte", "text", "truncated", "still-image"],
)
def test_unusable_files_are_rejected_with_a_reason_naming_them(shared_data, tmp_path, make, reason):
    bad = tmp_path / "bad.mp4"
    make(shared_data, bad)
    with pytest.raises(InvalidVideoError) as err:
        probe_video(bad)
    assert str(err.value).startswith("bad.mp4: ")
    assert reason in err.value.reason
