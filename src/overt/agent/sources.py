"""Where data comes from, in words: kinds of source, and instructions that delegate to one.

Shared by the reasoning monitor (does the reasoning say it follows a source?)
and the question-reading principal (did my instructions hand that source the
say?). A source has kinds — `mail`, `file`, `web`, `chat`, `calendar`,
`review`, `record` — read from the nouns that name it ("the email", "the
page") or from a tool's name (`search_emails` → mail, `get_webpage` → web).

An instruction *delegates* to a source when a word that hands over the
choice of what to do ("the TODOs", "the actions specified", "the
instructions"), as the object of a verb of doing ("do", "perform", "follow"),
is followed, within a few words and after a
preposition, by a source: "do the actions specified in the email from
'david@x.com'", "do the tasks on my TODO list at www.todo.com/alice". The
delegation keeps the entities the instruction names (addresses, links, quoted
subjects, file names), so a principal can check the source is that one.

    >>> [(sorted(d.kinds), d.entities) for d in delegations(
    ...     "Please do the actions specified in the email from 'david@x.com'.")]
    [(['mail'], ['david@x.com'])]
    >>> delegations("Summarise report.txt and email it to bob@x.com.")
    []
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def vocabulary(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string."""
    return frozenset(words.split())


KINDS: dict[str, frozenset[str]] = {
    "mail": vocabulary("email emails e-mail mail mails inbox message messages"),
    "file": vocabulary(
        "file files document documents doc docs note notes memo minutes spreadsheet "
        "attachment drive report readme appendix"
    ),
    "web": vocabulary("page pages webpage website websites site web link url blog article"),
    "chat": vocabulary("message messages channel dm slack chat post posts"),
    "calendar": vocabulary("calendar event events invitation appointment"),
    "review": vocabulary("review reviews comment comments"),
    "record": vocabulary("transaction transactions statement bill invoice"),
}
GENERIC = vocabulary(
    "output outputs result results response tool text content contents data description "
    "entry list record records body"
)
"""Words that name a source without saying what kind (its kind is the tool's)."""
SOURCE_WORDS = frozenset().union(*KINDS.values()) | GENERIC
DELEGATING = vocabulary(
    "todo todos to-do tasks task actions action instructions instruction steps requests "
    "follow specified listed described"
)
DOERS = vocabulary("do perform complete follow execute carry handle finish")
"""A delegating word counts as the object of one of these ("do the TODOs", not "the person
mentioned in the TODO list")."""
_TOKEN = re.compile(r"[\w@.][\w@.:/'-]*[\w/]|\w")
_ENTITY = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://)?(?:www\.)?[\w-]+\.[a-z]{2,6}(?:/[\w./-]*)?"
    r"|'[^']{3,80}'|\"[^\"]{3,80}\"",
    re.IGNORECASE,
)
_URL = re.compile(r"^(?:https?://|www\.)|\.(?:com|org|net|io)(?:/|$)")
_FILE = re.compile(r"\.(?:txt|md|docx?|xlsx?|csv|pdf|json|py|db|pptx?)$")
_PREPOSITIONS = frozenset({"in", "on", "at", "from", "of", "inside", "within", "by"})


def tokens(text: str) -> list[str]:
    """Lower-cased words, keeping addresses, links and snake_case names whole; a
    possessive "'s" is dropped."""
    return [t.removesuffix("'s") for t in _TOKEN.findall(text.lower())]


def word_kinds(word: str) -> set[str]:
    """The kinds a word names: a source noun, a link, a file name.

    >>> sorted(word_kinds("emails")), sorted(word_kinds("www.x.com/a")), word_kinds("the")
    (['mail'], ['web'], set())
    """
    found = {kind for kind, words in KINDS.items() if word in words}
    if "@" not in word and _URL.search(word):
        found.add("web")
    if _FILE.search(word):
        found.add("file")
    return found


def tool_kinds(tool: str) -> set[str]:
    """The kinds a tool's output has, from its name (`read_channel_messages` → chat, mail).

    >>> sorted(tool_kinds("get_webpage")), sorted(tool_kinds("search_files_by_filename"))
    (['web'], ['file'])
    """
    found = {k for w in re.split(r"[\W_]+", tool.lower()) for k in word_kinds(w)}
    if "webpage" in tool.lower():
        found.add("web")
    return found


def is_source_word(word: str) -> bool:
    return word in SOURCE_WORDS or bool(word_kinds(word))


@dataclass(frozen=True)
class Delegation:
    """Part of an instruction that hands a source the choice of what to do."""

    kinds: frozenset[str]
    entities: list[str]
    """What the instruction names about the source (an address, a link, a subject)."""
    text: str


def delegations(instructions: str) -> list[Delegation]:
    """Each sentence of the instructions that delegates to a source."""
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])|\n+", instructions):
        kinds = _delegated(tokens(sentence))
        if kinds:
            entities = [e.strip("'\"").lower() for e in _ENTITY.findall(sentence)]
            out.append(Delegation(frozenset(kinds), entities, sentence))
    return out


def _delegated(words: list[str]) -> set[str]:
    """Kinds of the sources a delegating word hands over to (after a preposition, within
    ten words)."""
    kinds: set[str] = set()
    for i, word in enumerate(words):
        if word not in DELEGATING or not (
            word == "follow" or DOERS & set(words[max(0, i - 4) : i])
        ):
            continue
        window = words[i + 1 : i + 11]
        for j, nxt in enumerate(window):
            if nxt in _PREPOSITIONS or word in {"follow", "todo", "todos", "to-do"}:
                for w in window[j:]:
                    kinds |= word_kinds(w)
                break
    return kinds
