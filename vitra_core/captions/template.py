"""The default captioner: offline and deterministic, built from a segment's primitives and where it happens.

Each primitive has one phrase per wording variant (variant 0 is the instruction, 1.. are rephrasings);
every variant of every phrase differs, so the rephrasings of a caption always differ from each other.
The first verb phrase carries the place ("at the lower left of the view"); the other hand's phrase
comes from its own overlapping segment in the same variant, or is "None". A phrase stays within VITRA's
word limit: a segment with more primitives than fit is described by its first ones (the later ones are
finer detail; a jittery track can string five into one second).
"""

from __future__ import annotations

from vitra_core.captions.captioner import CaptionRequest, CaptionText, HandAction
from vitra_core.captions.form import MAX_PHRASE_WORDS, compose
from vitra_core.captions.spatial import SpatialContext

NUM_VARIANTS = 4
NUM_REPHRASINGS = NUM_VARIANTS - 1

# {where}: the region; {lateral}: "to the left", "to the right", or "slightly" when it stays put sideways
PHRASES: dict[str, tuple[str, ...]] = {
    "reach": ("reach toward the {where}", "move the hand to the {where}", "extend the hand to the {where}",
              "stretch out toward the {where}"),
    "grasp": ("grasp the object", "close the fingers around the object", "grab the object", "take hold of the object"),
    "release": ("release the object", "open the fingers to let go", "let go of the object", "open the hand"),
    "lift": ("lift {it} up", "raise {it}", "move {it} upward", "bring {it} up"),
    "lower": ("lower {it}", "move {it} down", "bring {it} down", "let {it} sink lower"),
    "push": ("push {it} away from the camera", "move {it} forward", "push {it} forward", "press {it} away from the viewer"),
    "pull": ("pull {it} toward the camera", "draw {it} back toward the viewer", "bring {it} closer", "pull {it} back"),
    "rotate": ("rotate the wrist", "turn the hand", "twist the wrist", "turn the wrist over"),
    "hold": ("hold the object steady", "keep holding the object", "hold it still", "keep a firm grip on the object"),
    "still": ("keep the hand still", "rest the hand", "hold the hand in place", "keep the hand steady"),
    "move": ("move the hand{lateral}", "shift the hand{lateral}", "reposition the hand{lateral}",
             "slide the hand{lateral}"),
}
# {it}: "it" once the hand has the object (after grasp or hold), else "the hand"
_CARRIES = {"grasp", "hold"}
PLACE = ("at the {where}", "in the {where}", "near the {where}", "around the {where}")
_HORIZONTAL = {
    "left": ("left", "left", "left side", "left-hand side"),
    "centre": ("centre", "middle", "centre", "central part"),
    "right": ("right", "right", "right side", "right-hand side"),
}
_VERTICAL = {
    "top": ("upper", "top", "upper", "top"),
    "middle": ("", "", "", ""),
    "bottom": ("lower", "bottom", "lower", "bottom"),
}
_FRAME_WORD = ("view", "frame", "image", "scene")
_LATERAL = {"left": (" to the left", " leftward", " toward the left", " over to the left"),
            "right": (" to the right", " rightward", " toward the right", " over to the right"),
            None: (" slightly", " a little", " a bit", " briefly")}


def where(spatial: SpatialContext, variant: int) -> str:
    """The region as words, e.g. "lower left of the view", "centre of the frame"."""
    vertical = _VERTICAL[spatial.vertical][variant]
    horizontal = _HORIZONTAL[spatial.horizontal][variant]
    if spatial.horizontal == "centre" and vertical:
        horizontal = "centre" if variant % 2 == 0 else "middle"
    return f"{vertical} {horizontal}".strip() + f" of the {_FRAME_WORD[variant]}"


def hand_phrase(action: HandAction, variant: int) -> str:
    """One hand's action in wording variant `variant`, e.g. "reach toward the lower left of the view and grasp the object"."""
    region = where(action.spatial, variant)
    lateral = _LATERAL[action.spatial.lateral][variant]
    parts, carries = [], False
    for name in action.segment.primitives:
        parts.append(PHRASES[name][variant].format(where=region, lateral=lateral, it="it" if carries else "the hand"))
        carries = carries or name in _CARRIES
    if action.segment.primitives[0] != "reach":
        parts[0] += " " + PLACE[variant].format(where=region)
    while len(parts) > 1 and len(_joined(parts).split()) > MAX_PHRASE_WORDS:
        parts.pop()
    return _joined(parts)


def _joined(parts: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class TemplateCaptioner:
    """Deterministic captions from primitives and spatial context; never fails."""

    name = "template"

    def caption(self, request: CaptionRequest) -> CaptionText:
        texts = [self._instruction(request.own, request.other, variant) for variant in range(NUM_VARIANTS)]
        return CaptionText(instruction=texts[0], rephrasings=texts[1:])

    @staticmethod
    def _instruction(own: HandAction, other: HandAction | None, variant: int) -> str:
        phrases = {own.segment.hand: hand_phrase(own, variant)}
        if other is not None:
            phrases[other.segment.hand] = hand_phrase(other, variant)
        return compose(phrases.get("left"), phrases.get("right"))
