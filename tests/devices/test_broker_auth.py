"""The brokers' HTTP auth questions, answered in each broker's format from the one rule set.

RabbitMQ's answers are also exercised by a real cluster (test_rabbitmq_cluster); EMQX and VerneMQ
are not in Debian, so their adapters are checked here at the HTTP boundary, against the formats
their documentation gives (docs/DEVICE_INTEGRATION.md).
"""

from __future__ import annotations

import json

import pytest

from millet.accounts.actor import SYSTEM
from millet.devices import services as devices
from millet.devices.mqtt import topics
from millet.devices.mqtt.config import INGEST_USER, service_credentials
from millet.devices.services import broker_auth


@pytest.fixture
def pair(c360):
    return devices.provision_batch(model_urn=c360.urn, serials=["AUTH-1", "AUTH-2"], batch="B1", actor=SYSTEM)


def url(kind: str, token: str | None = None) -> str:
    return f"/api/broker/{token or broker_auth.broker_auth_token()}/{kind}"


def rabbit(client, path: str, **form) -> str:
    response = client.post(url(f"rabbitmq/{path}"), form)
    assert response.status_code == 200
    return response.content.decode()


def test_only_a_broker_holding_the_token_may_ask(client, pair):
    a, _ = pair
    form = {"username": a.device_id, "password": a.secret, "client_id": a.device_id}
    assert client.post(url("rabbitmq/user", "0" * 64), form).status_code == 404
    assert client.get(url("rabbitmq/user"), form).status_code == 405
    assert rabbit(client, "user", **form) == "allow"


def test_rabbitmq_logins(client, pair):
    a, b = pair
    assert rabbit(client, "user", username=a.device_id, password=a.secret, client_id=a.device_id) == "allow"
    assert rabbit(client, "user", username=a.device_id, password=b.secret, client_id=a.device_id) == "deny"
    assert rabbit(client, "user", username=a.device_id, password=a.secret, client_id=b.device_id) == "deny"
    assert rabbit(client, "user", username=a.device_id, password=a.secret) == "deny"  # AMQP: no device
    ingest = service_credentials()[INGEST_USER]
    assert rabbit(client, "user", username=INGEST_USER, password=ingest) == "allow"
    assert rabbit(client, "user", username=INGEST_USER, password=ingest + "x") == "deny"
    assert rabbit(client, "vhost", username=a.device_id, vhost="/") == "allow"
    assert rabbit(client, "vhost", username=a.device_id, vhost="other") == "deny"


def test_rabbitmq_resources_keep_a_device_to_its_own_session_queues(client, pair):
    a, b = pair

    def resource(username, resource, name, permission, vhost="/"):
        form = {"username": username, "vhost": vhost, "resource": resource, "name": name}
        return rabbit(client, "resource", **form, permission=permission)

    assert resource(a.device_id, "queue", f"mqtt-subscription-{a.device_id}qos1", "configure") == "allow"
    assert resource(a.device_id, "queue", f"mqtt-subscription-{b.device_id}qos1", "read") == "deny"
    assert resource(a.device_id, "queue", "millet-ingest", "read") == "deny"
    assert resource(a.device_id, "exchange", "amq.topic", "write") == "allow"
    assert resource(a.device_id, "exchange", "amq.topic", "configure") == "deny"
    assert resource(a.device_id, "exchange", "amq.direct", "write") == "deny"
    assert resource(a.device_id, "exchange", "amq.topic", "write", vhost="other") == "deny"
    assert resource(INGEST_USER, "queue", "millet-ingest", "configure") == "allow"


def test_rabbitmq_topics_are_the_mqtt_rules_in_amqp_spelling(client, pair):
    a, b = pair

    def topic(username, permission, mqtt_name, exchange="amq.topic"):
        key = topics.to_amqp(mqtt_name)
        form = {"username": username, "vhost": "/", "resource": "topic", "name": exchange}
        return rabbit(client, "topic", **form, permission=permission, routing_key=key)

    assert topic(a.device_id, "write", topics.topic(a.device_id, "telemetry")) == "allow"
    assert topic(a.device_id, "write", topics.topic(a.device_id, "telemetry"), exchange="x") == "deny"
    assert topic(a.device_id, "write", topics.topic(b.device_id, "telemetry")) == "deny"
    assert topic(a.device_id, "write", topics.topic(a.device_id, "commands")) == "deny"
    assert topic(a.device_id, "read", topics.topic(a.device_id, "commands")) == "allow"
    assert topic(a.device_id, "read", f"{topics.PREFIX}/+/commands") == "deny"
    assert topic(a.device_id, "read", "#") == "deny"
    assert topic(INGEST_USER, "read", f"{topics.PREFIX}/+/telemetry") == "allow"
    assert topic(INGEST_USER, "write", topics.topic(a.device_id, "commands")) == "allow"
    assert topic(INGEST_USER, "write", topics.topic(a.device_id, "telemetry")) == "deny"


def test_amqp_spelling_round_trips_a_device_id_with_a_dot():
    name = topics.topic("dev.1", "telemetry")
    assert topics.to_amqp(name) == "millet.v1.d.dev/1.telemetry"
    assert topics.from_amqp(topics.to_amqp(name)) == name
    assert topics.to_amqp(f"{topics.PREFIX}/+/telemetry") == "millet.v1.d.*.telemetry"


def post_json(client, kind: str, body) -> dict:
    response = client.post(url(kind), json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    return response.json()


def test_emqx_hooks(client, pair):
    a, b = pair
    login = {"username": a.device_id, "password": a.secret, "clientid": a.device_id}
    assert post_json(client, "emqx/authenticate", login)["result"] == "allow"
    assert post_json(client, "emqx/authenticate", {**login, "clientid": b.device_id})["result"] == "deny"
    assert post_json(client, "emqx/authenticate", "not an object")["result"] == "deny"

    def authorize(action, topic):
        body = {"username": a.device_id, "clientid": a.device_id, "topic": topic, "action": action}
        return post_json(client, "emqx/authorize", body)["result"]

    assert authorize("publish", topics.topic(a.device_id, "events")) == "allow"
    assert authorize("publish", topics.topic(b.device_id, "events")) == "deny"
    assert authorize("subscribe", topics.topic(a.device_id, "commands")) == "allow"
    assert authorize("subscribe", f"{topics.PREFIX}/#") == "deny"
    assert authorize("retain", topics.topic(a.device_id, "commands")) == "deny"


def test_vernemq_hooks(client, pair):
    a, b = pair
    ok, refused = {"result": "ok"}, {"result": {"error": "not_allowed"}}
    login = {"username": a.device_id, "password": a.secret, "client_id": a.device_id, "mountpoint": ""}
    assert post_json(client, "vernemq/auth_on_register", login) == ok
    assert post_json(client, "vernemq/auth_on_register", {**login, "password": b.secret}) == refused
    publish = {"username": a.device_id, "client_id": a.device_id, "qos": 1, "payload": "e30="}
    assert (
        post_json(client, "vernemq/auth_on_publish", {**publish, "topic": topics.topic(a.device_id, "acks")})
        == ok
    )
    assert (
        post_json(client, "vernemq/auth_on_publish", {**publish, "topic": topics.topic(b.device_id, "acks")})
        == refused
    )
    own = {"topic": topics.topic(a.device_id, "commands"), "qos": 1}
    other = {"topic": topics.topic(b.device_id, "commands"), "qos": 1}
    subscribe = {"username": a.device_id, "client_id": a.device_id}
    assert post_json(client, "vernemq/auth_on_subscribe", {**subscribe, "topics": [own]}) == ok
    assert post_json(client, "vernemq/auth_on_subscribe", {**subscribe, "topics": [own, other]}) == refused
    assert post_json(client, "vernemq/auth_on_subscribe", {**subscribe, "topics": []}) == refused
