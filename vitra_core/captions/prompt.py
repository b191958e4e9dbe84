"""The text a model backend is given for one segment: the task, the kinematic facts and the template draft."""

from __future__ import annotations

from vitra_core.captions.captioner import CaptionRequest, HandAction
from vitra_core.captions.template import NUM_REPHRASINGS

SYSTEM = (
    "You write instructions for robot hands from videos of human hands. Answer only with lines of the form "
    "'Left hand: <action>. Right hand: <action>.' where <action> is a short imperative clause, or 'None' for a "
    "hand that does nothing. No other text."
)


def _facts(action: HandAction) -> str:
    segment, spatial = action.segment, action.spatial
    return (f"{segment.hand} hand: {', '.join(segment.primitives)}; ends at the {spatial.vertical} "
            f"{spatial.horizontal} of the image"
            + (f"; moves {spatial.depth} the camera" if spatial.depth else ""))


def describe(request: CaptionRequest) -> str:
    """One line of facts: primitives and place of each active hand, plus the draft instruction."""
    facts = [_facts(request.own)] + ([_facts(request.other)] if request.other else [])
    draft = f" Draft: {request.draft.instruction}" if request.draft else ""
    return f"Motion: {'; '.join(facts)}.{draft}"


def chat_prompt(request: CaptionRequest) -> str:
    """The user message of a chat model: facts, then what to write."""
    return (f"{describe(request)}\nWrite the instruction for this {request.own.segment.hand} hand segment on the "
            f"first line, then {NUM_REPHRASINGS} rephrasings of it (different words, same meaning), one per line.")


def completion_prompt(request: CaptionRequest) -> str:
    """The decoder prompt of an image-to-text model, which continues it with the instruction."""
    return f"{describe(request)} Instruction:"
