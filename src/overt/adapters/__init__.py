"""Adapters that put overt's `Guard` in front of other agents' tool calls.

    overt.adapters.agentdojo   an AgentDojo pipeline element (`pip install overt[agentdojo]`)
    overt.adapters.inspect     an Inspect AI approver running the whole chain + gate
                               (`pip install overt[inspect]`)
    overt.adapters.langgraph   a LangGraph tool node with interrupts for escalations
                               (`pip install overt[langgraph]`)

Each module imports its framework lazily, so `import overt.adapters` needs none.
"""
