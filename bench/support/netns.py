"""Several "hosts" on one machine: Linux network namespaces joined by veth pairs to one bridge.

Every name carries a prefix unique to the run (``mc`` + the process id), the bridge sits in a
namespace of its own, and each host's address is on a private subnet that exists only inside these
namespaces, so the machine's own network is never touched. :func:`hosts` deletes everything it made
(and stops every process still running in its namespaces) when the block ends, error or not.

Needs root and ``ip`` (iproute2); ``tc netem`` adds a one-way delay on each host's interface when
asked. The namespaces share the machine's CPU: they separate networks, not cores.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

SUBNET = "10.213.{run}.{host}"


@dataclass
class Host:
    name: str  # the role: "data", "app1", ...
    namespace: str
    address: str

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside this host's namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def run(self, *argv: str, env: dict | None = None, timeout: float = 600) -> str:
        """Run to the end inside the namespace; its stdout, or RuntimeError with its stderr."""
        done = subprocess.run(self.command(*argv), env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{self.name}: {' '.join(argv)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self, *argv: str, env: dict | None = None, log=None, cwd=None) -> subprocess.Popen:
        """Start a long-running process inside the namespace (its own process group)."""
        return subprocess.Popen(
            self.command(*argv),
            env=env,
            cwd=cwd,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
            start_new_session=True,
        )


@dataclass
class Network:
    prefix: str
    hosts: dict[str, Host] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True, capture_output=True)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the process group, SIGKILL after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def pids(namespace: str) -> list[int]:
    """Every process inside ``namespace``."""
    found = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def _kill_remaining(namespace: str) -> None:
    """Every process still inside ``namespace`` (all of them ours: the namespace is ours)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        remaining = pids(namespace)
        for pid in remaining:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        if not remaining:
            return
        time.sleep(1.0)


@contextlib.contextmanager
def hosts(names: list[str], *, delay_ms: float = 0.0) -> Iterator[Network]:
    """Namespaces ``names`` (roles), each with one address on a bridge; all removed afterwards.

    ``delay_ms`` > 0 adds that one-way delay (``tc netem``) on every host's interface, so a round
    trip between two hosts takes twice that more.
    """
    if os.geteuid() != 0:
        raise RuntimeError("network namespaces need root")
    run = os.getpid() % 250 + 1
    prefix = f"mc{os.getpid()}"
    switch = f"{prefix}sw"
    made: list[str] = []
    net = Network(prefix)
    try:
        _ip("netns", "add", switch)
        made.append(switch)
        _ip("-n", switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", switch, "link", "set", "br0", "up")
        for number, name in enumerate(names, 1):
            namespace = f"{prefix}{name}"
            _ip("netns", "add", namespace)
            made.append(namespace)
            # The pair is made inside the switch's namespace and one end moved: nothing in the host's.
            _ip("-n", switch, "link", "add", f"p{number}", "type", "veth", "peer", "name", "eth0",
                "netns", namespace)  # fmt: skip
            _ip("-n", switch, "link", "set", f"p{number}", "master", "br0", "up")
            address = SUBNET.format(run=run, host=number)
            _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", namespace, "link", "set", "eth0", "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
            if delay_ms > 0:
                done = subprocess.run(
                    ["ip", "netns", "exec", namespace, "tc", "qdisc", "add", "dev", "eth0", "root",
                     "netem", "delay", f"{delay_ms}ms"],
                    capture_output=True, text=True,
                )  # fmt: skip
                if done.returncode:  # e.g. a kernel built without sch_netem
                    raise RuntimeError(f"tc netem: {done.stderr.strip()}")
            net.hosts[name] = Host(name, namespace, address)
        yield net
    finally:
        for namespace in reversed(made):
            _kill_remaining(namespace)
            subprocess.run(["ip", "netns", "delete", namespace], capture_output=True)
