"""Clustered mode: RabbitMQ nodes with the MQTT plugin, asking Millet who may do what over HTTP.

A RabbitMQ cluster takes the place of Mosquitto, which has no clustering. Devices speak the same
MQTT 3.1.1 to any node. Every login and every topic is checked by ``rabbitmq_auth_backend_http``
against Millet's endpoints (``services.broker_auth``: the rules every broker mode shares), behind
``rabbitmq_auth_backend_cache``, so Millet is asked once per ``cache_ttl`` per question and a revoked
device is refused at its next CONNECT within that time (5 s here). A connection already open keeps
the topic permissions its node cached for it until it reconnects.

``mqtt.durable_queue_type = quorum`` keeps a persistent session (clean_session=False, QoS 1) in a
quorum queue replicated on three nodes, so it survives the loss of one. RabbitMQ's MQTT has no
shared subscriptions; the ingestion workers consume one quorum queue over AMQP instead
(``amqp_ingest``), each message going to one of them.

``PrivateRabbitCluster`` starts a throwaway cluster of Debian's ``rabbitmq-server`` (tests): its own
node names, ports, Erlang cookie, epmd and directories, never the machine's own RabbitMQ.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from millet.core.ports import free_port
from millet.core.private_files import open_private, write_private
from millet.devices.mqtt.mosquitto import wait_for_port

# Debian's package: the scripts under /usr/sbin switch to the rabbitmq user and its cookie; these
# run as the caller, with the environment given.
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
EPMD_CANDIDATES = ("/usr/lib/erlang/bin/epmd", "/usr/bin/epmd")
PLUGINS = ("rabbitmq_mqtt", "rabbitmq_auth_backend_http", "rabbitmq_auth_backend_cache")
AUTH_CACHE_MS = 5000  # how long a node keeps Millet's answer: the longest a revocation waits


def rabbitmq_conf(
    *, amqp_port: int, mqtt_port: int, auth_url: str, bind: str = "127.0.0.1", cache_ms: int = AUTH_CACHE_MS
) -> str:
    """One node's rabbitmq.conf: MQTT and AMQP listeners, Millet as the only authority, quorum sessions.

    ``auth_url`` is Millet's ``/api/broker/<token>/rabbitmq`` (``broker_auth_token``); the cache
    backend wraps the HTTP one for both logins and permission checks.
    """
    return "\n".join(
        [
            f"listeners.tcp.1 = {bind}:{amqp_port}",
            f"mqtt.listeners.tcp.1 = {bind}:{mqtt_port}",
            "mqtt.allow_anonymous = false",
            "mqtt.vhost = /",
            "mqtt.exchange = amq.topic",
            "mqtt.durable_queue_type = quorum",
            "auth_backends.1 = cache",
            "auth_cache.cached_backend = http",
            f"auth_cache.cache_ttl = {cache_ms}",
            "auth_http.http_method = post",
            f"auth_http.user_path = {auth_url}/user",
            f"auth_http.vhost_path = {auth_url}/vhost",
            f"auth_http.resource_path = {auth_url}/resource",
            f"auth_http.topic_path = {auth_url}/topic",
            "log.console = false",
            "log.file.level = info",
            "",
        ]
    )


def mqtt_connack(host: str, port: int, username: str, password: str, timeout: float = 10.0) -> int:
    """The CONNACK return code a clean MQTT 3.1.1 session gets (0 accepted), -1 for none."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv311
    )
    client.username_pw_set(username, password)
    answer: list[int] = []
    answered = threading.Event()

    def on_connect(client, userdata, flags, reason_code, properties) -> None:
        answer.append(0 if not reason_code.is_failure else reason_code.value)
        answered.set()

    client.on_connect = on_connect
    try:
        client.connect(host, port, keepalive=10)
    except OSError:
        return -1
    client.loop_start()
    try:
        answered.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    return answer[0] if answer else -1


@dataclass
class Node:
    name: str  # e.g. millet-3f2a1-1@localhost
    amqp_port: int
    mqtt_port: int
    dist_port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


START_ATTEMPTS = 3


class PortTaken(RuntimeError):
    """A node could not bind a port chosen for it: another process took it first."""


class PrivateRabbitCluster:
    """Three (``size``) RabbitMQ nodes of our own on free ports, clustered, on loopback only.

    Everything runs in one process group led by the cluster's own epmd, so ``stop`` ends it all at
    once; ``kill(i)`` ends one node abruptly (SIGKILL), as a lost machine would.
    """

    def __init__(
        self, directory: Path, *, auth_url: str, size: int = 3, cache_ms: int = AUTH_CACHE_MS
    ) -> None:
        self.directory = Path(directory)
        self.host = "127.0.0.1"
        self.auth_url = auth_url
        self.cache_ms = cache_ms
        self.epmd_port = free_port()
        tag = uuid.uuid4().hex[:6]
        self.nodes = [
            Node(
                name=f"millet-{tag}-{i}@localhost",
                amqp_port=free_port(),
                mqtt_port=free_port(),
                dist_port=free_port(),
                directory=self.directory / f"node{i}",
            )
            for i in range(1, size + 1)
        ]
        self._epmd: subprocess.Popen | None = None
        self.started_in: float | None = None  # seconds from start() to a formed cluster

    def _env(self, node: Node | None = None) -> dict[str, str]:
        env = {
            **os.environ,
            "HOME": str(self.directory / "home"),  # its .erlang.cookie: our own cookie
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_CONF_ENV_FILE": str(self.directory / "rabbitmq-env.conf"),  # not /etc's
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
        }
        if node is not None:
            env.update(
                RABBITMQ_NODENAME=node.name,
                RABBITMQ_DIST_PORT=str(node.dist_port),
                RABBITMQ_MNESIA_BASE=str(node.directory / "mnesia"),
                RABBITMQ_LOG_BASE=str(node.directory / "log"),
                RABBITMQ_CONFIG_FILE=str(node.directory / "rabbitmq.conf"),
                RABBITMQ_ADVANCED_CONFIG_FILE=str(node.directory / "advanced.config"),
                RABBITMQ_PID_FILE=str(node.directory / "rabbitmq.pid"),
                # Three nodes share a few cores with the tests: one scheduler each, and no busy waiting
                # (RabbitMQ's runtime guide: on shared hosts, +sbwt none stops idle schedulers spinning).
                RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} "
                "+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none",
            )
        return env

    def _write_files(self) -> None:
        home = self.directory / "home"
        home.mkdir(parents=True, exist_ok=True)
        write_private(home / ".erlang.cookie", secrets.token_hex(20))
        (home / ".erlang.cookie").chmod(0o400)
        write_private(self.directory / "rabbitmq-env.conf", "")
        write_private(self.directory / "enabled_plugins", f"[{','.join(PLUGINS)}].\n")
        for node in self.nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            conf = rabbitmq_conf(
                amqp_port=node.amqp_port,
                mqtt_port=node.mqtt_port,
                auth_url=self.auth_url,
                cache_ms=self.cache_ms,
            )
            write_private(node.directory / "rabbitmq.conf", conf)  # the auth URL's token is a secret

    def start(self, timeout: float = 120.0) -> PrivateRabbitCluster:
        """Start every node at once, wait for them, then join the others to the first.

        A port found free can be taken by another process before a node binds it (another test
        worker's connection, say); a node that exits for that is started again on new ports, up to
        ``START_ATTEMPTS`` times."""
        began = time.monotonic()
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_once(timeout)
                break
            except PortTaken:
                if attempt == START_ATTEMPTS:
                    raise
                self._choose_ports()
        self.started_in = time.monotonic() - began
        return self

    def _choose_ports(self) -> None:
        self.epmd_port = free_port()
        for node in self.nodes:
            node.amqp_port, node.mqtt_port, node.dist_port = free_port(), free_port(), free_port()
            out = node.directory / "server.out"
            if out.exists():  # kept for a look, and out of the way of the next attempt's check
                out.rename(node.directory / "server.out.port-taken")

    def _start_once(self, timeout: float) -> None:
        self._write_files()
        epmd = next((p for p in EPMD_CANDIDATES if os.path.exists(p)), "epmd")
        self._epmd = subprocess.Popen(
            [epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=self._env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=0,  # the group's leader; the nodes join its group (same session)
        )
        try:
            wait_for_port(self.host, self.epmd_port)
            for node in self.nodes:
                self._launch(node)
            with ThreadPoolExecutor(len(self.nodes)) as pool:
                list(pool.map(lambda n: self._await(n, timeout), self.nodes))
            # One at a time: the MQTT plugin's client-id registry is a Raft cluster that each joining
            # node enters as it restarts; two joining at once left one without a leader (3.10.8).
            for node in self.nodes[1:]:
                self._join(node)
            self._await_cluster(timeout)
        except BaseException:
            self.stop()
            raise

    def _launch(self, node: Node) -> None:
        log = open_private(node.directory / "server.out", append=True)  # may log the auth URL
        node.process = subprocess.Popen(
            [str(RABBITMQ_BIN / "rabbitmq-server")],
            env=self._env(node),
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=self._epmd.pid,
        )
        log.close()

    def _await(self, node: Node, timeout: float) -> None:
        """Until the node's MQTT listener (the last thing it starts) accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not node.alive:
                message = f"RabbitMQ node {node.name} exited: see {node.directory / 'log'}"
                if b"eaddrinuse" in (node.directory / "server.out").read_bytes():
                    raise PortTaken(message)
                raise RuntimeError(message)
            try:
                wait_for_port(self.host, node.mqtt_port, timeout=1.0)
                wait_for_port(self.host, node.amqp_port, timeout=1.0)
                return
            except TimeoutError:
                continue
        raise TimeoutError(f"RabbitMQ node {node.name} did not start in {timeout}s")

    def ctl(self, node: Node, *args: str, timeout: float = 60.0) -> str:
        """``rabbitmqctl -n <node> args...`` with this cluster's cookie and epmd."""
        done = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", node.name, "-q", *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {node.name}: {done.stderr or done.stdout}")
        return done.stdout

    def _join(self, node: Node) -> None:
        self.ctl(node, "stop_app")
        self.ctl(node, "join_cluster", self.nodes[0].name)
        self.ctl(node, "start_app")

    def _await_cluster(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            self._await(node, max(1.0, deadline - time.monotonic()))
        status = self.ctl(self.nodes[0], "cluster_status", "--formatter", "json")
        missing = [n.name for n in self.nodes if n.name not in status]
        if missing:
            raise RuntimeError(f"nodes {missing} did not join the cluster: {status}")

    def await_mqtt(self, username: str, password: str, timeout: float = 60.0) -> None:
        """Until every node accepts this MQTT login: a node takes a CONNECT only once its client-id
        registry has a Raft leader, which can come a few seconds after the cluster formed."""
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            while (code := mqtt_connack(self.host, node.mqtt_port, username, password)) != 0:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{node.name} answers MQTT CONNECT with {code}")
                time.sleep(0.5)

    def kill(self, index: int) -> None:
        """SIGKILL one node (0-based): no goodbye to its clients or its peers."""
        node = self.nodes[index]
        if not node.alive:
            return
        # The script waits on the Erlang VM in a child: the VM's own pid is in the pid file.
        os.kill(int((node.directory / "rabbitmq.pid").read_text().strip()), signal.SIGKILL)
        node.process.wait(30)

    def stop(self) -> None:
        """End the whole process group (every node, their helpers, the private epmd)."""
        if self._epmd is None:
            return
        try:
            os.killpg(self._epmd.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for process in [self._epmd, *(n.process for n in self.nodes if n.process is not None)]:
            process.wait(30)
        self._epmd = None
        self._kill_strays()

    def _kill_strays(self) -> None:
        """A node's boot also runs ``epmd -daemon`` on the default port, which leaves our process
        group (it calls setsid); it is found by the private HOME it inherited, and ended."""
        marker = f"HOME={self.directory / 'home'}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    os.kill(int(entry.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue
