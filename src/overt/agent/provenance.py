"""Provenance reviewer: where did this call's arguments come from?

Information flow in the spirit of CaMeL (Debenedetti et al. 2025), without
its interpreter: every tool output in the run is untrusted data. For a
consequential call (at or above `threshold`), every argument value — a whole
short value (a name, an account number, an amount, an ID, a path) and every
address, link, account number or path inside longer text — is looked up:

    named by the principal (in an instruction) or endorsed  → trusted
    found in a tool output                                   → untrusted: escalate
    in neither (the agent composed it)                       → fine

The escalation asks a specific question naming the value and where it came
from (tool, call, excerpt). A final answer to the principal is flagged when
it carries a link from a tool output the principal never named, or repeats
text from a tool output that addresses the reader ("you", "your").

    reviewer = ProvenanceReviewer()
    verdict = await reviewer.review(view)    # view.tool_outputs holds the untrusted data
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from overt.agent.tools import Consequence
from overt.agent.types import Decision, Flag, ReviewView, ToolOutput, Verdict

_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_URL = (
    r"(?:https?://|www\.)[^\s'\"<>()\[\]{}]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}/[^\s'\"<>]*"
)
_IBAN = r"\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b"
_PATH = r"(?:~|\.{1,2})?/?[\w.-]+(?:/[\w.-]+)+"
_LINK = re.compile(f"{_EMAIL}|{_URL}", re.IGNORECASE)
_ENTITY = re.compile(f"{_EMAIL}|{_URL}|{_IBAN}|{_PATH}", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_ADDRESSED = re.compile(r"\b(you|your|yours)\b")
_FIELD = re.compile(r"^\s*(?:-\s+)?(?:[\w.-]+:\s*)?['\"]?\S+(?:\s+\S+){0,2}['\"]?\s*$")
"""A record field: optional `- `, optional `key:`, then at most three words."""
_MARKED = re.compile(r"^\s*(?:-\s|[\w.-]+:\s)")
SHORT_VALUE = 64
"""Strings up to this many characters (and 8 words) are checked whole; longer ones by entity."""
COPIED_WORDS = 6
"""An answer repeating this many consecutive words of a reader-addressed tool-output sentence
is flagged."""


def normalize(text: str) -> str:
    """Lower case, whitespace collapsed."""
    return " ".join(text.lower().split())


def occurs(value: str, text: str) -> int:
    """Index of `value` in `text` as a whole token (not inside a longer word), or -1.

    >>> occurs("13", "file id 13, size 130"), occurs("13", "id 130")
    (8, -1)
    """
    start = text.find(value)
    while start != -1:
        end = start + len(value)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or (before in "._-@" and value[0].isalnum())) and not (
            after.isalnum() or (after in "_-@" and value[-1].isalnum())
        ):
            return start
        start = text.find(value, start + 1)
    return -1


def argument_values(args: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(argument, value) pairs worth tracing: short strings whole, entities in long text,
    numbers; recursing into lists and dicts.

    >>> list(argument_values({"to": ["a@b.com"], "amount": 100.0, "flag": True}))
    [('to[0]', 'a@b.com'), ('amount', '100')]
    """
    for key, value in args.items():
        yield from _values(f"{prefix}{key}", value)


def _values(name: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield name, (str(int(value)) if float(value).is_integer() else str(value))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) >= 2 and len(text) <= SHORT_VALUE and len(text.split()) <= 8:
            yield name, normalize(text)
        for match in _ENTITY.findall(text):
            found = normalize(match.rstrip(".,;:!?"))
            if found != normalize(text):
                yield name, found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _values(f"{name}[{i}]", item)
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _values(f"{name}.{k}", item)


@lru_cache(maxsize=4096)
def free_text(text: str) -> str:
    """A tool output without its record fields (lines `key: value` or `- value` of at most
    three words, as in a list of channels or file IDs), normalized."""
    kept = [ln for ln in text.splitlines() if not (_MARKED.match(ln) and _FIELD.match(ln))]
    return normalize("\n".join(kept))


def named(value: str, arg: str, instructions: str) -> bool:
    """Whether the principal's (normalized) instructions name `value` for argument `arg`.
    A short value (3 characters or fewer: "13", "5") is ambiguous, so it counts only next to
    a word of the argument's name (within two words: "file 13", "ID 13").

    >>> named("13", "file_id", "what happens on june 13?"), named("13", "file_id", "delete file 13")
    (False, True)
    """
    at = occurs(value, instructions)
    if at == -1 or len(value) > 3:
        return at != -1
    role = {w for w in re.split(r"[\W_]+", arg.lower()) if len(w) >= 2}
    while at != -1:
        before = _WORD.findall(instructions[:at])[-2:]
        after = _WORD.findall(instructions[at + len(value) :])[:2]
        if role & {w.rstrip("s") for w in before + after} | role & set(before + after):
            return True
        nxt = instructions[at + 1 :]
        found = occurs(value, nxt)
        at = -1 if found == -1 else at + 1 + found
    return False


def excerpt(text: str, at: int, width: int = 60) -> str:
    start, end = max(0, at - width), min(len(text), at + width)
    return (
        ("…" if start else "")
        + " ".join(text[start:end].split())
        + ("…" if end < len(text) else "")
    )


class ProvenanceReviewer:
    """Consequential arguments from untrusted content go to the principal, with a question."""

    name = "provenance"
    min_consequence = Consequence.read_only

    def __init__(
        self, threshold: Consequence = Consequence.reversible, trust_fields: bool = True
    ) -> None:
        self.threshold, self.trust_fields = threshold, trust_fields
        self._norm: dict[str, str] = {}

    def _normalized(self, text: str) -> str:
        cached = self._norm.get(text)
        if cached is None:
            if len(self._norm) > 4096:
                self._norm.clear()
            cached = self._norm[text] = normalize(text)
        return cached

    def trace_value(self, value: str, outputs: list[ToolOutput]) -> tuple[ToolOutput, str] | None:
        """The first tool output `value` occurs in, and an excerpt around it. With
        `trust_fields`, values that occur only as short record fields (a line `key: value`
        or `- value` of at most three words, as in a list of channels or file IDs) come from
        the system of record, not from free text someone wrote, and are not traced."""
        for out in outputs:
            text = free_text(out.text) if self.trust_fields else self._normalized(out.text)
            at = occurs(value, text)
            if at != -1:
                return out, excerpt(text, at, 40)
        return None

    async def review(self, view: ReviewView) -> Verdict:
        return self.check(view)

    def check(self, view: ReviewView) -> Verdict:
        action = view.action
        if action.kind == "final":
            return self.check_answer(view)
        if action.kind != "tool" or Consequence[view.consequence] < self.threshold:
            return self._ok("not consequential" if action.kind == "tool" else "no tool call")
        instructions = self._normalized(" \n".join(i.text for i in view.instructions))
        endorsed = {normalize(v) for v in view.endorsed}
        found: list[tuple[str, str, ToolOutput, str]] = []
        for arg, value in argument_values(action.args):
            if value in endorsed or named(value, arg, instructions):
                continue
            source = self.trace_value(value, view.tool_outputs)
            if source is not None and all(value != v for _, v, _, _ in found):
                found.append((arg, value, *source))
        if not found:
            return self._ok("every traced argument was named by the principal or composed")
        parts = [
            f"{arg}={value!r} came from {out.tool} (call {out.call}): “{quote}”"
            for arg, value, out, quote in found[:3]
        ]
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        question = (
            f"{action.describe()[:100]} uses values you never named: {'; '.join(parts)}{more}. "
            "Approve?"
        )
        return Verdict(
            reviewer=self.name,
            decision=Decision.escalate,
            score=0.1,
            reasons=[question],
            flagged=[value for _, value, _, _ in found],
            flags=[_flag(value, arg, out, quote) for arg, value, out, quote in found],
        )

    def check_answer(self, view: ReviewView) -> Verdict:
        """Flag an answer that relays links or reader-addressed text from tool outputs."""
        answer = self._normalized(view.action.text or "")
        instructions = self._normalized(" \n".join(i.text for i in view.instructions))
        problems: list[str] = []
        flagged: list[str] = []
        flags: list[Flag] = []
        for link in {normalize(m.rstrip(".,;:!?")) for m in _LINK.findall(answer)}:
            if occurs(link, instructions) != -1 or link in {normalize(v) for v in view.endorsed}:
                continue
            source = self.trace_value(link, view.tool_outputs)
            if source is not None:
                out, quote = source
                flagged.append(link)
                flags.append(_flag(link, "answer", out, quote))
                problems.append(
                    f"the answer passes on {link!r} from {out.tool} (call {out.call}): “{quote}”"
                )
        grams = _ngrams(_WORD.findall(answer), COPIED_WORDS)
        for out in view.tool_outputs:
            for sentence in _SENTENCE.split(self._normalized(out.text)):
                if not _ADDRESSED.search(sentence):
                    continue
                if _ngrams(_WORD.findall(sentence), COPIED_WORDS) & grams:
                    flags.append(_flag("", "answer", out, sentence[:120]))
                    problems.append(
                        f"the answer repeats an instruction-like sentence from {out.tool} "
                        f"(call {out.call}): “{sentence[:120]}”"
                    )
                    break
        if not problems:
            return self._ok("the answer relays no links or instructions from tool outputs")
        return Verdict(
            reviewer=self.name,
            decision=Decision.escalate,
            score=0.2,
            reasons=[f"{'; '.join(problems[:3])}. Deliver this answer?"],
            flagged=flagged,
            flags=flags,
        )

    def _ok(self, why: str) -> Verdict:
        return Verdict(reviewer=self.name, decision=Decision.approve, score=1.0, reasons=[why])


def _flag(value: str, arg: str, out: ToolOutput, quote: str) -> Flag:
    return Flag(
        value=value, arg=arg, tool=out.tool, call=out.call, excerpt=quote, source_args=out.args
    )


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
