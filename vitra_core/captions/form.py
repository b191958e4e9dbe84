"""VITRA's instruction form, "Left hand: <phrase>. Right hand: <phrase>.", built and checked in one place.

A hand with nothing to do gets "None". Text from a model is accepted only if it parses into this
form, the segment's own hand has a phrase, and each phrase is a short plain-English clause.
"""

from __future__ import annotations

import re

from vitra_core.errors import VitraError

NONE = "None"
MAX_PHRASE_WORDS = 30
_FORM = re.compile(r"^Left hand: (?P<left>[^\n]+?)\. Right hand: (?P<right>[^\n]+?)\.$")
_PHRASE = re.compile(r"^[A-Za-z][A-Za-z0-9 ,;'()/-]*$")


class CaptionFormatError(VitraError):
    """A text is not an instruction in VITRA's form; the message says why."""


def compose(left: str | None, right: str | None) -> str:
    """The instruction for two hand phrases (None or empty: the hand does nothing)."""
    return f"Left hand: {_sentence(left)}. Right hand: {_sentence(right)}."


def _sentence(phrase: str | None) -> str:
    phrase = (phrase or "").strip().rstrip(".")
    return phrase[:1].upper() + phrase[1:] if phrase else NONE


def parse(text: str) -> tuple[str, str]:
    """(left phrase, right phrase) of an instruction; raise CaptionFormatError if it is not in the form."""
    cleaned = " ".join(text.split())
    match = _FORM.match(cleaned)
    if match is None:
        raise CaptionFormatError(f"not in the form 'Left hand: ... Right hand: ...': {cleaned[:120]!r}")
    return match.group("left"), match.group("right")


def validate(text: str, hand: str) -> str:
    """The instruction, whitespace-normalised, if it is well formed and gives `hand` ("left"/"right") an action."""
    left, right = parse(text)
    for side, phrase in (("left", left), ("right", right)):
        if not _PHRASE.match(phrase):
            raise CaptionFormatError(f"{side} hand phrase has characters outside plain English: {phrase[:80]!r}")
        if len(phrase.split()) > MAX_PHRASE_WORDS:
            raise CaptionFormatError(f"{side} hand phrase is longer than {MAX_PHRASE_WORDS} words")
    own = left if hand == "left" else right
    if own == NONE:
        raise CaptionFormatError(f"the segment's own ({hand}) hand is 'None'")
    return compose(left, right)
