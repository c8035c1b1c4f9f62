"""Task families whose answers need multi-step reasoning.

>>> from overt.tasks import TASKS, get_task
>>> sorted(TASKS)
['khop', 'mult', 'pressure', 'prosqa', 'runmax', 'state']
>>> get_task("state", K=99)
Traceback (most recent call last):
...
overt.tasks.base.TaskParamError: task 'state' parameter 'K'=99 is out of range; allowed [1, 64]
"""

from __future__ import annotations

from typing import Any

from overt.tasks.base import Example, Task, TaskParamError
from overt.tasks.khop import KHopTask
from overt.tasks.mult import MultTask
from overt.tasks.pressure import PressureTask
from overt.tasks.prosqa import ProsQATask
from overt.tasks.runmax import RunMaxTask
from overt.tasks.state import StateTask

TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (StateTask, KHopTask, ProsQATask, MultTask, PressureTask, RunMaxTask)
}


def get_task(name: str, **params: Any) -> Task:
    """The task family `name` with its knobs set; unknown names or knobs raise."""
    if name not in TASKS:
        raise TaskParamError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}")
    return TASKS[name](**params)


__all__ = ["TASKS", "Example", "Task", "TaskParamError", "get_task"]
