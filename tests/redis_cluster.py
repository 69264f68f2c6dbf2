"""A private Redis Cluster for tests: 3 masters and 3 replicas of /usr/bin/redis-server on free ports.

Each node has its own directory under the system's temporary folder, AOF on, a short node timeout
(1 s, so a killed master's replica takes over in about two seconds) and
``cluster-require-full-coverage no`` (the other masters keep answering while one is failing over, as
docs/ARCHITECTURE.md advises for production). ``redis-cli --cluster create`` joins them. Under CI a
missing redis-server fails the test; elsewhere it skips.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import pytest
import redis

from millet.core.ports import free_port

NODE_TIMEOUT_MS = 1000


def binaries() -> tuple[str, str]:
    """redis-server and redis-cli; fails under CI, skips elsewhere, when they are missing."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
    if not (os.access(server, os.X_OK) and os.access(cli, os.X_OK)):
        if os.environ.get("CI"):
            pytest.fail("redis-server and redis-cli are required under CI for the Redis Cluster tests")
        pytest.skip("needs redis-server and redis-cli")
    return server, cli


class PrivateCluster:
    """Six nodes: ``start()``, ``url``, ``master_of(key)``, ``kill(port)``, ``stop()``."""

    def __init__(self, masters: int = 3, replicas: int = 1) -> None:
        self.server, self.cli = binaries()
        self.ports = [free_port() for _ in range(masters * (1 + replicas))]
        self.replicas = replicas
        self.dir = Path(tempfile.mkdtemp(prefix="millet-redis-cluster-"))
        self.procs: dict[int, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=1)

    def replica_of(self, master: int) -> int:
        return int(self.node(master).info("replication")["slave0"]["port"])

    def read_replica(self, port: int, *command):
        """A read on a replica (READONLY first, on the same connection: a replica answers reads of
        its master's slots only then)."""
        pipe = self.node(port).pipeline(transaction=False)
        pipe.execute_command("READONLY")
        pipe.execute_command(*command)
        return pipe.execute()[1]

    def start(self) -> None:
        for port in self.ports:
            home = self.dir / str(port)
            home.mkdir()
            bus = free_port()  # the default bus port (port + 10000) may be taken or out of range
            self.procs[port] = subprocess.Popen(
                [self.server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home),
                 "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                 "--cluster-port", str(bus), "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                 "--cluster-require-full-coverage", "no", "--save", "", "--appendonly", "yes",
                 "--appendfsync", "everysec", "--logfile", str(home / "redis.log")],
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
        for port in self.ports:
            self._wait(lambda p=port: self.node(p).ping(), f"node {port} to start")
        subprocess.run(
            [self.cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self._wait(self.healthy, "cluster_state:ok with every master replicated")

    def healthy(self) -> bool:
        """Every live node says cluster_state:ok and every master has a connected replica."""
        for port, proc in self.procs.items():
            if proc.poll() is not None:
                continue
            node = self.node(port)
            if node.cluster("info").get("cluster_state") != "ok":
                return False
            info = node.info("replication")
            if info["role"] == "master" and info.get("slave0", {}).get("state") != "online":
                return False
        return True

    def _slots(self) -> list[tuple[range, int]]:
        """A live node's view: each slot range and its master's port (CLUSTER SLOTS)."""
        live = next(p for p, proc in self.procs.items() if proc.poll() is None)
        return [(range(int(r[0]), int(r[1]) + 1), int(r[2][1])) for r in self.node(live).cluster("slots")]

    def masters(self) -> set[int]:
        return {port for _, port in self._slots()}

    def master_of(self, key: str) -> int:
        live = next(p for p, proc in self.procs.items() if proc.poll() is None)
        slot = self.node(live).cluster("keyslot", key)
        return next(port for slots, port in self._slots() if slot in slots)

    def kill(self, port: int) -> None:
        """SIGKILL: the node has no chance to hand anything over."""
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait(timeout=10)

    def wait_promoted(self, dead: int, timeout: float = 30.0) -> float:
        """Seconds until the dead master's slots have a live master and the cluster answers again."""
        began = time.monotonic()

        def promoted() -> bool:
            return dead not in self.masters() and all(
                self.node(p).cluster("info").get("cluster_state") == "ok"
                for p, proc in self.procs.items()
                if proc.poll() is None
            )

        self._wait(promoted, f"a replica of {dead} to be promoted", timeout)
        return time.monotonic() - began

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        for proc in self.procs.values():
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _wait(predicate, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with suppress(redis.RedisError):
                if predicate():
                    return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")
