"""Closed word lists shared by the logic tasks: invented concepts, names, properties.

Concepts are invented words in the style of ProntoQA ("wumpus", "yumpus"), made
from fixed syllables so the list is the same on every machine.
"""

from __future__ import annotations

_ONSETS = ["w", "y", "z", "d", "t", "b", "r", "g", "l", "sh", "gr", "st"]
_NUCLEI = ["um", "im", "or", "al", "ep", "ox"]

CONCEPTS: list[str] = [f"{o}{n}pus" for o in _ONSETS for n in _NUCLEI]
"""72 invented concept words, one token each."""

ENTITIES: list[str] = ["alex", "tom", "max", "sam", "fae", "rex", "wren", "polly", "stella"]

PROPERTIES: list[str] = [
    "bright",
    "cold",
    "happy",
    "small",
    "sour",
    "fast",
    "wooden",
    "loud",
    "shy",
    "red",
]
