"""The loop behind the device cloud's clock commands (``run_automations``, ``advance_rollouts``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections


def tick(command: BaseCommand, run: Callable[[], int], every: float, report: str) -> None:
    """Run ``run`` once, or every ``every`` seconds until stopped, writing ``report`` with its count.

    A bad automation or rollout is set aside inside ``run``. What reaches this loop is a failure of
    the system (the database restarting): repeating, it is reported and the next tick tries again,
    so the clock never exits on it; a single run (cron) fails loudly instead.
    """
    while True:
        try:
            command.stdout.write(report.format(run()))
        except DatabaseError as exc:
            if every <= 0:
                raise
            command.stderr.write(f"tick failed ({exc}); next try in {every:g} s")
        if every <= 0:
            return
        time.sleep(every)
        close_old_connections()  # a connection the failure broke is replaced on the next tick
