"""Whose CPU a bench ran on: the seconds its own processes used and what the rest of the machine took.

The machine has 2 cores shared with other sessions, so a rate measured here depends on how much of
the machine was left to the bench. :func:`sample` reads the CPU seconds of the given processes (and
of this process and its reaped children) and the machine's busy seconds from ``/proc``; :func:`share`
turns two samples into cores: the bench's own, the machine's, everyone else's, and those left to the
bench (``cores - others``). bench/capacity.py scales the model's prediction by the cores left to the
simulation over the cores left to the bench that measured the figure.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def process(pid: int) -> tuple[str, float] | None:
    """A process's command line and the CPU seconds (user + system) it has used so far; None once gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return cmdline, (int(fields[11]) + int(fields[12])) / TICK


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (a gunicorn master and its workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for I/O), all cores."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / TICK


@dataclass
class Sample:
    at: float
    machine: float
    processes: dict[int, float] = field(default_factory=dict)
    self_s: float = 0.0  # this process
    children_s: float = 0.0  # its reaped children (wrk, the simulator)

    @property
    def mine(self) -> float:
        return self.self_s + self.children_s


def sample(pids: Iterable[int]) -> Sample:
    """CPU seconds so far of ``pids``, of this process and its reaped children, and of the machine."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    got = {pid: found[1] for pid in set(pids) if (found := process(pid)) is not None}
    return Sample(
        time.perf_counter(),
        machine_busy_seconds(),
        got,
        me.ru_utime + me.ru_stime,
        children.ru_utime + children.ru_stime,
    )


def share(before: Sample, after: Sample, cores: int | None = None) -> dict[str, float]:
    """Cores between two samples: the bench's own (``own_cores``; a process missing from ``before``
    counts from its start, one gone by ``after`` is lost), the machine's, everyone else's, and the
    cores left to the bench (``available_cores``: the machine's cores less everyone else's)."""
    elapsed = after.at - before.at
    own = after.mine - before.mine
    own += sum(used - before.processes.get(pid, 0.0) for pid, used in after.processes.items())
    machine = after.machine - before.machine
    others = max(machine - own, 0.0) / elapsed
    return {
        "own_cores": round(own / elapsed, 3),
        "machine_cores": round(machine / elapsed, 3),
        "others_cores": round(others, 3),
        "available_cores": round((cores or os.cpu_count() or 1) - others, 3),
    }


def used(before: Sample, after: Sample, pids: Iterable[int]) -> float:
    """CPU seconds ``pids`` used between two samples (a process missing from ``before`` counts from its
    start; one gone by ``after`` is lost)."""
    return sum(
        after.processes[pid] - before.processes.get(pid, 0.0) for pid in set(pids) if pid in after.processes
    )
