"""`khop`: ProntoQA-style k-hop rule chains with distractor chains.

    prompt     every wumpus is a yumpus . every dumpus is not bright . alex is a wumpus .
               every yumpus is bright . every timpus is a dumpus .
               true or false : alex is bright ?
    reasoning  alex is a yumpus
    answer     true

The entity starts at a concept; `hops` rules lead along its chain to a concept
whose property rule decides the answer. Each distractor chain has the same
length, starts at a concept the entity is not, and ends in the opposite
property rule, so attending to the wrong chain gives the wrong answer.
Sentences are shuffled. Knobs: hops (1..8), distractors (0..4).

    >>> from overt.tasks import get_task
    >>> ex = get_task("khop", hops=2, distractors=1).examples(1, seed=0)[0]
    >>> len(ex.steps), ex.answer in ("true", "false")
    (2, True)
"""

from __future__ import annotations

import itertools
import random

from overt.tasks.base import Example, Task
from overt.tasks.words import CONCEPTS, ENTITIES, PROPERTIES

STEP_TEMPLATES = ["{e} is a {c}", "so {e} is a {c}", "{e} is one {c}"]


class KHopTask(Task):
    name = "khop"
    params = {"hops": (1, 8), "distractors": (0, 4)}
    defaults = {"hops": 3, "distractors": 1}

    def num_answers(self) -> int:
        return 2

    def _generate(self, rng: random.Random) -> Example:
        hops, n_chains = self.p["hops"], 1 + self.p["distractors"]
        concepts = rng.sample(CONCEPTS, n_chains * (hops + 1))
        chains = [concepts[j * (hops + 1) : (j + 1) * (hops + 1)] for j in range(n_chains)]
        prop = rng.choice(PROPERTIES)
        truth = rng.random() < 0.5
        polarity = [truth] + [not truth] * (n_chains - 1)
        entity = rng.choice(ENTITIES)
        sentences = [f"{entity} is a {chains[0][0]} ."]
        for chain, positive in zip(chains, polarity, strict=True):
            sentences += [f"every {a} is a {b} ." for a, b in itertools.pairwise(chain)]
            sentences.append(f"every {chain[-1]} is {'' if positive else 'not '}{prop} .")
        rng.shuffle(sentences)
        prompt = " ".join([*sentences, "true or false :", entity, "is", prop, "?"])
        state = {"entity": entity, "chains": chains, "polarity": polarity}
        return self._follow(prompt, state, [], chain=0, depth=1)

    def _follow(self, prompt: str, state: dict, kept: list[str], chain: int, depth: int) -> Example:
        """Steps `kept`, then chain `chain` walked from `depth` to its end."""
        values = kept + state["chains"][chain][depth:]
        return Example(
            task=self.name,
            prompt=prompt,
            steps=[STEP_TEMPLATES[0].format(e=state["entity"], c=c) for c in values],
            values=values,
            answer="true" if state["polarity"][chain] else "false",
            options=["true", "false"],
            state=state,
        )

    def _locate(self, state: dict, concept: str) -> tuple[int, int]:
        for j, chain in enumerate(state["chains"]):
            if concept in chain:
                return j, chain.index(concept)
        raise ValueError(f"{concept!r} is not a concept of this example")

    def _recompute(self, example: Example, index: int, value: str) -> Example:
        chain, depth = self._locate(example.state, value)
        return self._follow(
            example.prompt, example.state, [*example.values[:index], value], chain, depth + 1
        )

    def alternatives(self, example: Example, index: int) -> list[str]:
        depth = index + 1
        chains = example.state["chains"]
        return [c[depth] for c in chains if c[depth] != example.values[index]]

    def paraphrase(self, example: Example, rng: random.Random) -> list[str]:
        entity = example.state["entity"]
        return [rng.choice(STEP_TEMPLATES).format(e=entity, c=c) for c in example.values]

    def _vocab(self) -> set[str]:
        fixed = ["every", "is", "a", "not", ".", "true", "false", "or", ":", "?", "so", "one"]
        return set(fixed) | set(CONCEPTS) | set(ENTITIES) | set(PROPERTIES)
