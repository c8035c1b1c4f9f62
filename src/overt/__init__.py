"""overt: reasoning in the open.

Lab (model organisms trained under contrasting reasoning regimes), audit
(faithfulness and monitorability tests on any model) and runtime (an
instruction-following agent whose every action is reviewed).
"""

__version__ = "0.1.0"
