"""The captioner interface: what every backend is given for one segment and what it must return.

A backend raises CaptionerError (with a one-line reason) when it cannot caption; `caption_segments`
then uses the template captioner's draft and records the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from vitra_core.captions.form import CaptionFormatError, validate
from vitra_core.captions.spatial import SpatialContext
from vitra_core.errors import VitraError
from vitra_core.segments.model import Segment

# frames_provider(start_frame, end_frame) -> RGB frames [H, W, 3] uint8 of that range, in order
FramesProvider = Callable[[int, int], Sequence[np.ndarray]]


class CaptionerError(VitraError):
    """A captioner backend could not caption a segment; the message is the reason recorded with the fallback."""


@dataclass(frozen=True)
class HandAction:
    """One hand's segment and where it happens."""

    segment: Segment
    spatial: SpatialContext


@dataclass(frozen=True)
class CaptionText:
    instruction: str
    rephrasings: list[str]


@dataclass(frozen=True)
class CaptionRequest:
    """Everything a backend may use for one segment.

    own: the segment being captioned; other: the other hand's segment overlapping it most (None: idle);
    draft: the template captioner's caption (a model may refine it; it is also the fallback);
    frames: RGB frames of the segment's range, or None when no frames provider was given.
    """

    own: HandAction
    other: HandAction | None
    draft: CaptionText | None = None
    frames: Callable[[], Sequence[np.ndarray]] | None = None


@runtime_checkable
class Captioner(Protocol):
    """Writes an instruction in VITRA's form plus rephrasings for one segment, or raises CaptionerError."""

    name: str

    def caption(self, request: CaptionRequest) -> CaptionText: ...


def first_valid(candidates: Sequence[str], hand: str) -> tuple[str, list[str]]:
    """(instruction, further distinct valid candidates) from a model's candidate lines, best first.

    Raises CaptionerError naming the first candidate's problem when none is in VITRA's form.
    """
    valid: list[str] = []
    first_problem = "the model returned no text"
    for index, text in enumerate(candidates):
        try:
            instruction = validate(text, hand)
        except CaptionFormatError as exc:
            if index == 0:
                first_problem = str(exc)
            continue
        if instruction not in valid:
            valid.append(instruction)
    if not valid:
        raise CaptionerError(f"output did not parse: {first_problem}")
    return valid[0], valid[1:]
