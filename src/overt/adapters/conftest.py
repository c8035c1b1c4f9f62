"""pytest (doctest collection of src/): skip adapter modules whose framework is not installed.

pytest src/overt/adapters      # collects only the adapters whose extras are installed
"""

from __future__ import annotations

import importlib.util

NEEDS = {
    "agentdojo.py": "agentdojo",
    "agentdojo_bench.py": "agentdojo",
    "agentdojo_agent.py": "agentdojo",
    "langgraph_node.py": "langgraph",
    "inspect_audit.py": "inspect_ai",
}

collect_ignore = [f for f, pkg in NEEDS.items() if importlib.util.find_spec(pkg) is None]
