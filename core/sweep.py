"""The minute sweep: one registry of the tasks it runs, one function that runs them all.

Apps register their tasks in `AppConfig.ready()`: every kind of durable work registers itself
(core.durable.register), other periodic clean-ups add theirs with `register(name, task)`. The
workers schedule `run_sweep` once a minute (friends_site.worker).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_TASKS: dict[str, Callable[[], int]] = {}


def register(name: str, task: Callable[[], int]) -> None:
    """Run `task` in every sweep; it returns how many things it handled (for the log)."""
    _TASKS[name] = task


def run_sweep() -> dict[str, int]:
    """Run every registered task (job). One that fails is logged; the others still run."""
    counts: dict[str, int] = {}
    for name, task in _TASKS.items():
        try:
            counts[name] = task()
        except Exception:
            logger.exception("Sweep task %r failed", name)
            counts[name] = -1
    logger.info("Sweep: %s", counts)
    return counts
