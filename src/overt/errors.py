"""User errors: bad input that the command line reports in one line with exit code 2.

Raise `UsageError("what is wrong; what to do")` wherever the user's input (a flag,
a path, a config, a folder) is at fault. Anything else is a bug and keeps its
traceback: the CLI never catches `ValueError` or `Exception` wholesale.

    >>> str(UsageError("no model in runs/x; train one with overt lab train"))
    'no model in runs/x; train one with overt lab train'
"""

from __future__ import annotations


class UsageError(Exception):
    """Bad input; the message names what is wrong and what to do about it."""
