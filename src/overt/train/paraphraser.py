"""A frozen paraphraser: rewrites reasoning word by word, picking among meaning-preserving
rewrites at random (Kokotajlo's Shoggoth + Paraphraser + Face).

Each word belongs to a class of words that mean the same thing to the reader:

    number      '7' ↔ 'seven'            (same value, digit or word at random)
    connective  so / then / now / thus    (any one)
    key word    key / leak                (any one: the verbalised hack survives)
    spare       s0 … s15                  (meaningless: any one)

Everything else (separators, operations) is kept. The meaning a human or monitor
would read survives; information carried only by the *choice* among synonyms —
the channel a substitute encoding would use — is destroyed.

    >>> import random
    >>> words = rewrite_words("so 7 ; then nine", random.Random(0)).split()
    >>> [number_value(w) for w in (words[1], words[4])], words[2]
    (['7', '9'], ';')

Use it in RL with `RLConfig.paraphrase=true`: the answer is then written after
the paraphrased reasoning, while the policy is trained on the reasoning it wrote.
"""

from __future__ import annotations

import random

from overt.tasks.pressure import CONNECTIVES, KEY_WORDS, NUMBER_WORDS, SPARE, number_value

_CLASSES = [CONNECTIVES, KEY_WORDS, SPARE]


def rewrite_word(word: str, rng: random.Random) -> str:
    """One random meaning-preserving rewrite of `word` (itself when it has none)."""
    value = number_value(word)
    if value is not None and int(value) < len(NUMBER_WORDS):
        return value if rng.random() < 0.5 else NUMBER_WORDS[int(value)]
    for group in _CLASSES:
        if word in group:
            return rng.choice(group)
    return word


def rewrite_words(text: str, rng: random.Random) -> str:
    """Rewrite every word of `text` independently."""
    return " ".join(rewrite_word(w, rng) for w in text.split())
