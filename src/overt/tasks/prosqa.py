"""`prosqa`: ProsQA-style graph search over a DAG of invented concepts.

    prompt     tom is a wumpus . every wumpus is a yumpus . sam is a dorpus . ...
               is tom a yumpus or dorpus ?
    reasoning  tom is a wumpus ; tom is a yumpus
    answer     yumpus

One sentence per edge, shuffled. Of the two options, A is reachable from the
entity and B is not (B is reachable from a second entity, and from no concept
B reaches can A be reached). The steps are a
shortest path to A (ties broken alphabetically), so there are exactly
`path` steps. Concepts are one token each. Knobs: nodes (6..40 concepts),
path (1..8 edges).

    >>> from overt.tasks import get_task
    >>> ex = get_task("prosqa", nodes=10, path=3).examples(1, seed=0)[0]
    >>> len(ex.steps), ex.answer == ex.values[-1], ex.answer in ex.options
    (3, True, True)
"""

from __future__ import annotations

import random
from collections import deque

from overt.tasks.base import Example, Task, TaskParamError
from overt.tasks.words import CONCEPTS, ENTITIES

STEP_TEMPLATES = ["{e} is a {c}", "so {e} is a {c}", "{e} is one {c}"]


def _shortest_path(edges: dict[str, list[str]], start: str, goal: str) -> list[str] | None:
    """Nodes after `start` on a shortest path to `goal` (alphabetical ties), or None."""
    parent: dict[str, str] = {}
    queue, seen = deque([start]), {start}
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while path[-1] != start:
                path.append(parent[path[-1]])
            return path[::-1][1:]
        for nxt in sorted(edges.get(node, [])):
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = node
                queue.append(nxt)
    return None


class ProsQATask(Task):
    name = "prosqa"
    params = {"nodes": (6, 40), "path": (1, 8)}
    defaults = {"nodes": 12, "path": 3}

    def _check(self) -> None:
        if self.p["nodes"] < 2 * self.p["path"] + 2:
            raise TaskParamError(
                f"task 'prosqa' parameter 'nodes'={self.p['nodes']} is too small for "
                f"path={self.p['path']}; allowed nodes >= 2*path+2 = {2 * self.p['path'] + 2}"
            )

    def num_answers(self) -> int:
        return 2

    def _generate(self, rng: random.Random) -> Example:
        n, length = self.p["nodes"], self.p["path"]
        concepts = rng.sample(CONCEPTS, n)
        entity, other = rng.sample(ENTITIES, 2)
        n_reach = (n + 1) // 2
        reach, unreach = concepts[:n_reach], concepts[n_reach:]
        # Reachable side: levels 1..length hold the path; extra nodes get random levels.
        level = {c: i + 1 for i, c in enumerate(reach[:length])}
        for c in reach[length:]:
            level[c] = rng.randint(1, length)
        by_level: dict[int, list[str]] = {}
        for c in reach:
            by_level.setdefault(level[c], []).append(c)
        edges: dict[str, list[str]] = {entity: list(by_level[1])}
        for c in reach:
            if level[c] > 1:
                parents = by_level[level[c] - 1]
                for p in rng.sample(parents, min(len(parents), rng.randint(1, 2))):
                    edges.setdefault(p, []).append(c)
        # Unreachable side: a random forward DAG rooted at the other entity; it may
        # point into the reachable side, which never makes it reachable from `entity`.
        edges[other] = [unreach[0]]
        for i, c in enumerate(unreach[1:], start=1):
            for p in rng.sample(unreach[:i], min(i, rng.randint(1, 2))):
                edges.setdefault(p, []).append(c)
        goal, wrong = reach[length - 1], unreach[-1]
        for c in unreach[:-1]:
            if rng.random() < 0.3:
                edges.setdefault(c, []).append(rng.choice(reach))
        sentences = [
            f"{a} is a {b} ." if a in (entity, other) else f"every {a} is a {b} ."
            for a, targets in edges.items()
            for b in targets
        ]
        rng.shuffle(sentences)
        options = [goal, wrong]
        rng.shuffle(options)
        prompt = " ".join([*sentences, "is", entity, "a", options[0], "or", options[1], "?"])
        state = {"entity": entity, "edges": edges, "goal": goal, "wrong": wrong}
        return self._follow(prompt, state, [], entity, options)

    def _follow(
        self, prompt: str, state: dict, kept: list[str], node: str, options: list[str]
    ) -> Example:
        """Steps `kept`, then a shortest path from `node` to whichever option it reaches."""
        edges = state["edges"]
        for target in (state["goal"], state["wrong"]):
            rest = [] if node == target else _shortest_path(edges, node, target)
            if rest is not None:
                values = kept + rest
                return Example(
                    task=self.name,
                    prompt=prompt,
                    steps=[STEP_TEMPLATES[0].format(e=state["entity"], c=c) for c in values],
                    values=values,
                    answer=target,
                    options=options,
                    state=state,
                )
        raise ValueError(f"neither option is reachable from {node!r}")

    def _recompute(self, example: Example, index: int, value: str) -> Example:
        kept = [*example.values[:index], value]
        return self._follow(example.prompt, example.state, kept, value, example.options)

    def alternatives(self, example: Example, index: int) -> list[str]:
        """Concepts from which only the wrong option is reachable (the answer flips)."""
        edges, state = example.state["edges"], example.state
        nodes = sorted({b for targets in edges.values() for b in targets})
        return [
            c
            for c in nodes
            if c != example.values[index]
            and (c == state["wrong"] or _shortest_path(edges, c, state["wrong"]) is not None)
            and c != state["goal"]
            and _shortest_path(edges, c, state["goal"]) is None
        ]

    def paraphrase(self, example: Example, rng: random.Random) -> list[str]:
        entity = example.state["entity"]
        return [rng.choice(STEP_TEMPLATES).format(e=entity, c=c) for c in example.values]

    def _vocab(self) -> set[str]:
        fixed = ["every", "is", "a", ".", "or", "?", "so", "one"]
        return set(fixed) | set(CONCEPTS) | set(ENTITIES)
