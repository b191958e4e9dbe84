"""The issue's bad-input set, dropped into an inbox: a real clip, its duplicate and three broken files."""

import shutil
from pathlib import Path

REAL_CLIP = "lavila/ego4d_cf7c12db.gif"
# name -> the reason its quarantine note must give
BAD_FILES = {
    "c_empty.mp4": "empty file (0 bytes)",
    "d_text.mp4": "ffprobe cannot read it",
    "e_truncated.mp4": "truncated: header declares 202 frames",
}


def fill_inbox(inbox: Path, shared_data: Path) -> Path:
    """Write the set into `inbox`; return the real clip's source path."""
    inbox.mkdir(parents=True, exist_ok=True)
    real = shared_data / REAL_CLIP
    shutil.copy(real, inbox / "a_real.gif")
    shutil.copy(real, inbox / "b_duplicate.gif")
    (inbox / "c_empty.mp4").write_bytes(b"")
    (inbox / "d_text.mp4").write_text("hello, I am not a video\n")
    (inbox / "e_truncated.mp4").write_bytes((shared_data / "mediapipe_samples/hl_test_video.mp4").read_bytes()[:10240])
    return real
