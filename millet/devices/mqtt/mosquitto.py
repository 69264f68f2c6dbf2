"""Production mode: Mosquitto with its dynamic-security plugin, administered by Millet over MQTT.

Millet keeps one dynsec client per device (username = client id = device id, forced by dynsec so a
device cannot borrow another's client id) with its own role whose ACLs name exactly that device's
topics. Mosquitto 2.0's dynsec does not expand ``%c`` in subscribe ACLs, so a shared role with
patterns cannot express "its own commands topic"; one small role per device can. Disabling a client
in dynsec also disconnects it at once, which is what revocation needs.

``PrivateMosquitto`` starts a throwaway broker on a free port (tests, the benchmark) from the same
configuration ``millet broker --mosquitto-setup`` writes for production.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import paho.mqtt.client as mqtt

from millet.core.ports import free_port
from millet.core.private_files import restrict, write_private
from millet.devices.mqtt import topics
from millet.devices.mqtt.config import ADMIN_USER, INGEST_USER, MAX_PACKET_BYTES

DYNSEC_PLUGIN = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
SERVICE_ROLE = "millet-service-ingest"
CONTROL_BUDGET = MAX_PACKET_BYTES - 4096  # a control message's JSON, leaving room for topic and framing


class DynsecError(RuntimeError):
    """Mosquitto refused a dynamic-security command (the broker's own message is kept)."""


def device_role(device_id: str) -> str:
    return f"millet-device-{device_id}"


def device_acls(device_id: str) -> list[dict]:
    """Its own uplink to publish, its own commands to subscribe to and to receive, nothing else.

    The receive pair (own commands allowed first, everything else denied) holds for every delivery
    Mosquitto makes, retained, will or queued, not only those that follow a subscription.
    """
    commands = topics.topic(device_id, "commands")
    acls = [
        {"acltype": "publishClientSend", "topic": topics.topic(device_id, channel), "allow": True}
        for channel in topics.UPLINK
    ]
    acls.append({"acltype": "subscribeLiteral", "topic": commands, "allow": True})
    acls.append({"acltype": "publishClientReceive", "topic": commands, "allow": True, "priority": 1})
    acls.append({"acltype": "publishClientReceive", "topic": "#", "allow": False})
    return acls


def service_acls() -> list[dict]:
    filters = [*topics.INGEST_FILTERS, *(f"$share/{INGEST_USER}/{f}" for f in topics.INGEST_FILTERS)]
    acls = [{"acltype": "subscribePattern", "topic": f, "allow": True} for f in filters]
    acls.append({"acltype": "publishClientSend", "topic": f"{topics.PREFIX}/+/commands", "allow": True})
    return acls


class DynsecAdmin:
    """A synchronous client for Mosquitto's ``$CONTROL/dynamic-security/v1`` command topic."""

    def __init__(self, host: str, port: int, password: str, *, timeout: float = 60.0) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._reply: dict | None = None
        self._replied = threading.Event()
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"{ADMIN_USER}-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
        )
        self._client.username_pw_set(ADMIN_USER, password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *args: self._ready.set()
        self._client.on_message = self._on_message
        self._client.connect(host, port, keepalive=30)
        self._client.loop_start()
        if not self._ready.wait(timeout):
            self.close()
            raise DynsecError(f"no dynamic-security session with the broker at {host}:{port}")

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        client.subscribe(f"{CONTROL_TOPIC}/response", qos=1)

    def _on_message(self, client, userdata, message) -> None:
        self._reply = json.loads(message.payload)
        self._replied.set()

    @property
    def connected(self) -> bool:
        return self._client.is_connected()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def execute(self, commands: list[dict], *, tolerate: Iterable[str] = ()) -> list[dict]:
        """Run commands in one control message; raise unless every error is one we expect."""
        tolerate = tuple(tolerate)
        with self._lock:  # one request in flight: responses carry no id in Mosquitto 2.0
            self._replied.clear()
            info = self._client.publish(CONTROL_TOPIC, json.dumps({"commands": commands}), qos=1)
            info.wait_for_publish(self._timeout)
            if not self._replied.wait(self._timeout):
                raise DynsecError("the broker did not answer a dynamic-security command")
            responses = (self._reply or {}).get("responses", [])
        for response in responses:
            error = response.get("error")
            if error and not any(fragment in error for fragment in tolerate):
                raise DynsecError(f"{response.get('command')}: {error}")
        return responses

    def ensure_service(self, password: str) -> None:
        """The ingestion worker's login: every device's uplink, and publishing commands."""
        self.execute(
            [
                {"command": "createRole", "rolename": SERVICE_ROLE},
                *({"command": "addRoleACL", "rolename": SERVICE_ROLE, **acl} for acl in service_acls()),
            ],
            tolerate=["already exists"],
        )
        responses = self.execute(
            [
                {
                    "command": "createClient",
                    "username": INGEST_USER,
                    "password": password,
                    "roles": [{"rolename": SERVICE_ROLE}],
                }
            ],
            tolerate=["already exists"],
        )
        if responses and responses[0].get("error"):
            self.execute([{"command": "setClientPassword", "username": INGEST_USER, "password": password}])

    def upsert_device(self, device_id: str, secret: str | None, enabled: bool) -> None:
        self.upsert_devices([(device_id, secret, enabled)])

    def upsert_devices(self, changes: list[tuple[str, str | None, bool]]) -> None:
        """Create/update many devices' clients in few control messages; disabling also disconnects.

        Dynsec rewrites its JSON file after every command, so commands are what costs: a new device
        takes two (its role with ACLs, its client created enabled with password and role). Only a
        client that already existed (a rotated secret) gets the follow-up password/enable commands.
        """
        first: list[dict] = []
        fresh: list[tuple[str, str, bool]] = []
        for device_id, secret, enabled in changes:
            if secret is None:
                first.append(
                    {"command": "enableClient" if enabled else "disableClient", "username": device_id}
                )
                continue
            role = device_role(device_id)
            first.append({"command": "createRole", "rolename": role, "acls": device_acls(device_id)})
            first.append(
                {
                    "command": "createClient",
                    "username": device_id,
                    "clientid": device_id,
                    "password": secret,
                    "roles": [{"rolename": role}],
                }
            )
            fresh.append((device_id, secret, enabled))
        responses = self._chunked(first)
        existing = {
            r.get("correlationData")
            for r in responses
            if r.get("command") == "createClient" and r.get("error")
        }
        follow_up: list[dict] = []
        for device_id, secret, enabled in fresh:
            if device_id in existing:
                follow_up.append({"command": "setClientPassword", "username": device_id, "password": secret})
            if device_id in existing or not enabled:
                command = "enableClient" if enabled else "disableClient"
                follow_up.append({"command": command, "username": device_id})
        self._chunked(follow_up)

    def _chunked(self, commands: list[dict]) -> list[dict]:
        """Send in control messages that each stay under the broker's packet limit."""
        for command in commands:
            command.setdefault("correlationData", command.get("username") or command.get("rolename"))
        responses: list[dict] = []
        chunk: list[dict] = []
        size = 0
        for command in commands:
            cost = len(json.dumps(command)) + 2
            if chunk and size + cost > CONTROL_BUDGET:
                responses += self.execute(chunk, tolerate=["already exists", "not found"])
                chunk, size = [], 0
            chunk.append(command)
            size += cost
        if chunk:
            responses += self.execute(chunk, tolerate=["already exists", "not found"])
        return responses

    def delete_device(self, device_id: str) -> None:
        self.execute(
            [
                {"command": "deleteClient", "username": device_id},
                {"command": "deleteRole", "rolename": device_role(device_id)},
            ],
            tolerate=["not found"],
        )

    def device_usernames(self) -> set[str]:
        listed = self.execute([{"command": "listClients", "verbose": False, "count": -1}])
        names = listed[0].get("data", {}).get("clients", [])
        return {name for name in names if not name.startswith("millet-")}


def mosquitto_conf(*, port: int, directory: Path, bind: str = "127.0.0.1") -> str:
    """The broker configuration Millet expects: dynsec auth, persistence, deep queues for the worker.

    Persistence and a large per-client queue are what let the ingestion worker's persistent session
    survive a broker restart or its own downtime without losing an acknowledged message.
    ``max_packet_size`` disconnects a client that sends a bigger packet, before anything is stored
    (the embedded broker enforces the same limit).
    """
    return "\n".join(
        [
            f"listener {port} {bind}",
            # Started as root, Mosquitto would drop to user "mosquitto" and lose access to this directory.
            f"user {getpass.getuser()}",
            "allow_anonymous false",
            f"plugin {DYNSEC_PLUGIN}",
            f"plugin_opt_config_file {directory / 'dynamic-security.json'}",
            "persistence true",
            f"persistence_location {directory}/",
            "autosave_interval 60",
            "max_inflight_messages 5000",
            "max_queued_messages 1000000",
            "set_tcp_nodelay true",
            "max_keepalive 300",
            f"max_packet_size {MAX_PACKET_BYTES}",
            "log_dest none",
            "",
        ]
    )


def dynsec_password(password: str, *, iterations: int = 101) -> dict:
    """A password as Mosquitto 2.0's dynsec stores it: PBKDF2-SHA512, 12-byte salt, base64."""
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, dklen=64)
    return {
        "password": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": iterations,
    }


def preload_devices(directory: Path, devices: Iterable[tuple[str, str]]) -> int:
    """Write devices straight into a stopped broker's dynsec file (a factory manifest, a fresh broker).

    Through the control topic every command rewrites the whole file, so thousands of devices take
    minutes; written offline they take a moment. Only for a broker that is not running.
    """
    path = directory / "dynamic-security.json"
    config = json.loads(path.read_text())
    count = 0
    for device_id, secret in devices:
        role = device_role(device_id)
        config["roles"].append({"rolename": role, "acls": device_acls(device_id)})
        config["clients"].append(
            {
                "username": device_id,
                "clientid": device_id,
                "roles": [{"rolename": role}],
                **dynsec_password(secret),
            }
        )
        count += 1
    write_private(path, json.dumps(config))
    return count


def write_setup(directory: Path, *, port: int, admin_password: str, bind: str = "127.0.0.1") -> Path:
    """Write mosquitto.conf and a dynsec file whose only client is Millet's admin; return the conf."""
    directory.mkdir(parents=True, exist_ok=True)
    dynsec = directory / "dynamic-security.json"
    if not dynsec.exists():
        subprocess.run(
            [
                shutil.which("mosquitto_ctrl") or "mosquitto_ctrl",
                "dynsec",
                "init",
                str(dynsec),
                ADMIN_USER,
                admin_password,
            ],
            check=True,
            capture_output=True,
        )
    restrict(dynsec)  # it holds the clients' password hashes; mosquitto_ctrl leaves it 0644
    conf = directory / "mosquitto.conf"
    write_private(conf, mosquitto_conf(port=port, directory=directory, bind=bind))
    return conf


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port}")


class PrivateMosquitto:
    """A Mosquitto of our own on a free port: never the shared one, so tests may stop and restart it."""

    def __init__(self, directory: Path, *, admin_password: str, port: int | None = None) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.admin_password = admin_password
        self.conf = write_setup(self.directory, port=self.port, admin_password=admin_password)
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateMosquitto:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen([binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL)
        try:
            wait_for_port(self.host, self.port)
        except TimeoutError:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"mosquitto did not start with {self.conf}") from None
        return self

    def stop(self) -> None:
        """Graceful stop: Mosquitto writes its persistence file (queued messages, sessions) on SIGTERM."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def admin(self) -> DynsecAdmin:
        return DynsecAdmin(self.host, self.port, self.admin_password)
