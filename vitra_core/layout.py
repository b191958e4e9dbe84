"""Where every stage keeps its files under the data root: one place, so stages never guess paths.

Per-video outputs live under `<data_root>/<stage>/<video_id>/`; source files are content-addressed
as `<data_root>/raw/<video_id>.<ext>` with a provenance record `<video_id>.source.json` beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SOURCE_RECORD_SUFFIX = ".source.json"


@dataclass(frozen=True)
class DataLayout:
    root: Path

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def locks_dir(self) -> Path:
        """Per-video lock files: one process at a time runs a video's stages."""
        return self.root / ".locks"

    def stage_dir(self, stage: str, video_id: str) -> Path:
        return self.root / stage / video_id

    def source_record(self, video_id: str) -> Path:
        return self.raw_dir / f"{video_id}{SOURCE_RECORD_SUFFIX}"

    def raw_video(self, video_id: str) -> Path | None:
        """The stored source video for an id, or None if it was never ingested."""
        for candidate in sorted(self.raw_dir.glob(f"{video_id}.*")):
            if candidate.suffix not in (".json", ".dvc") and not candidate.name.endswith(SOURCE_RECORD_SUFFIX):
                return candidate
        return None

    def raw_video_ids(self) -> list[str]:
        """Ids of every stored source video, sorted."""
        if not self.raw_dir.is_dir():
            return []
        return sorted(p.name.split(".", 1)[0] for p in self.raw_dir.glob(f"*{SOURCE_RECORD_SUFFIX}"))
