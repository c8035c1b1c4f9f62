"""The default review chain: the model-free reviewers every guard starts with.

    ReviewChain(PolicyReviewer(), default_reviewers())   # == default_chain()

`ProvenanceReviewer` traces consequential arguments (and links in answers) to
tool outputs; `GoalProvenanceMonitor` traces the action's goal to a tool-output
sentence; `ReasoningMonitor` reads what the reasoning says it follows, at every
consequence level. Add a reviewer here to have every guard, agent and adapter
run it.
"""

from __future__ import annotations

from overt.agent.goal_monitor import GoalProvenanceMonitor
from overt.agent.provenance import ProvenanceReviewer
from overt.agent.reasoning_monitor import ReasoningMonitor
from overt.agent.review import PolicyReviewer, ReviewChain, Reviewer


def default_reviewers() -> list[Reviewer]:
    """Provenance of arguments and answers, goal provenance, and the stated reasoning."""
    return [ProvenanceReviewer(), GoalProvenanceMonitor(), ReasoningMonitor()]


def default_chain(policy: PolicyReviewer | None = None) -> ReviewChain:
    return ReviewChain(policy or PolicyReviewer(), default_reviewers())
