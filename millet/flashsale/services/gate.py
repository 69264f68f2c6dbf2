"""The gate: who gets a unit, decided atomically in memory, never on the stock row.

With ``REDIS_URL`` set, one Lua script per request checks the sale window, the caller's rate limits
and per-customer limit, takes a unit from the pool and appends the claim to the campaign's stream,
all in one atomic step on the Redis server (``TIME`` is Redis's clock, so app servers' clocks do
not matter). Writers read the stream through a consumer group and turn claims into orders; an entry
stays pending until its order is committed, so a killed writer's claims are picked up by another.
Durability across a Redis restart comes from Redis's AOF (``appendfsync always`` in production).

A claim takes effect at most once however often it is sent. The client sends a command again when
its answer is late or its connection drops (``millet.core.redis_client``: ``RETRIES`` more times on
one Redis; on a cluster, after asking for the layout, ``_on_master``), and Redis may have run the
first one. Each claim request draws an id once (``_run_claim``); the script keeps
``fs:{CODE}:req:<id>`` -> its claim's id for ``REQUEST_KEEP_MS`` and, run again, answers that claim
and changes nothing, in the same one round trip. A refusal is not kept: it took nothing, and a
rerun decides afresh. When every send is late, ``GateUnavailable`` (503): at most one unit was
taken for the request. Returning a unit is once per claim, its answer kept (``_RETURN``).

Without Redis (the embedded default), ``GateCounter``/``CustomerTally`` rows play the same part
with conditional UPDATEs, and the claim row itself is the outbox the writer reads.

Over HTTP the script also reads the caller's token entry from the accounts domain's shared cache,
so a claim costs one Redis round trip in all (``claim_for_token``); a revoked token's entry is a
tombstone written before the revocation commits, so it fails on the next request in every process.

Keys carry the campaign code in a hash tag (``fs:{CODE}:...``, request keys too), so on a Redis
Cluster (``millet.core.redis_client``) one campaign's keys live on one master and the scripts run there
unchanged; campaigns spread over the masters. Three things differ on a cluster:

- the token entry lives in its own slot, so the caller reads it first (``tokens_in_script`` is
  False) and the claim is a second round trip;
- a master acknowledges a write before its replica has it, and a failover promotes the replica: a
  claim or a returned unit is therefore followed, on the same connection, by ``WAIT 1`` (at most
  ``REPLICA_WAIT_MS``), so a buyer is told "yes" only once the replica holds the claim. A master
  without a replica in time (its replica down, or just promoted) still answers, and its answers
  are not replicated until it has one again: those are what a second failure could lose. A claim
  whose answer a failover lost is sent again to the new master: if the replica held it, its
  request key came with it, and the buyer is told that claim;
- writers read each campaign's stream on its own (one ``XREADGROUP`` may not span slots).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.utils.translation import gettext_lazy
from redis.exceptions import AskError, NoScriptError

from millet.core import redis_client
from millet.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)

GROUP = "writers"

# KEYS: state, taken, stream, the customer rate-limit key's prefix, the address's rate-limit key, the
# claim request's key, and optionally the token owner's shared-cache entry
# (accounts.services.token_cache_key). ARGV: the customer id ('' when KEYS[7] names it), the client
# address, how long the request's key is kept (ms). With KEYS[7], the token check is part of the same
# round trip: a missing entry or a revoked token's tombstone answers 'auth' and nothing else happens
# (the caller authenticates the slow way, which fills the entry). A request that already claimed (the
# same call sent again after its answer was lost) answers that claim and changes nothing. Every
# answer is {outcome, claim id or '', the token entry or ''}.
_CLAIM = """
local cust, owner = ARGV[1], ''
if KEYS[7] then
  owner = redis.call('GET', KEYS[7])
  if not owner then return {'auth', '', ''} end
  cust = string.match(owner, '^%d+:(%d+):')
  if not cust then return {'auth', '', ''} end
end
local first = redis.call('GET', KEYS[6])
if first then return {'ok', first, owner} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'start_ms', 'end_ms', 'limit', 'pool', 'cust_rate', 'ip_rate')
if not s[1] then return {'unknown', '', owner} end
if now < tonumber(s[1]) then return {'not_started', '', owner} end
if now >= tonumber(s[2]) then return {'ended', '', owner} end
local cust_rate = tonumber(s[5])
if cust_rate > 0 then
  local key = KEYS[4] .. cust
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, 1000) end
  if n > cust_rate then return {'rate_limited', '', owner} end
end
local ip_rate = tonumber(s[6])
if ip_rate > 0 and ARGV[2] ~= '' then
  local n = redis.call('INCR', KEYS[5])
  if n == 1 then redis.call('PEXPIRE', KEYS[5], 1000) end
  if n > ip_rate then return {'rate_limited', '', owner} end
end
local taken = tonumber(redis.call('HGET', KEYS[2], cust) or '0')
if taken >= tonumber(s[3]) then return {'limit', '', owner} end
if tonumber(s[4]) <= 0 then return {'sold_out', '', owner} end
local left = redis.call('HINCRBY', KEYS[1], 'pool', -1)
if left == 0 then redis.call('HSETNX', KEYS[1], 'soldout_ms', now) end
redis.call('HINCRBY', KEYS[2], cust, 1)
local id = redis.call('XADD', KEYS[3], '*', 'c', cust, 't', now)
redis.call('SET', KEYS[6], id, 'PX', ARGV[3])
return {'ok', id, owner}
"""

# A unit comes back (claim expired): offered straight to a waitlisted customer when one is named and
# still under the limit, otherwise back into the pool. KEYS: state, taken, stream, returned claims.
# ARGV: the claim's id, its customer, the waitlisted customer or ''. Once per claim: the returned
# claims' hash keeps each answer (the granted claim's id, or 'returned'), and a claim returned again
# (the call sent again after its answer was lost, or a second expiry) gets that first answer.
_RETURN = """
local first = redis.call('HGET', KEYS[4], ARGV[1])
if first then
  if string.find(first, '-', 1, true) then return {'granted', first} end
  return {'returned'}
end
redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
if ARGV[3] ~= '' then
  local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
  local taken = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
  if taken < limit then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
    local id = redis.call('XADD', KEYS[3], '*', 'c', ARGV[3], 't', now)
    redis.call('HSET', KEYS[4], ARGV[1], id)
    return {'granted', id}
  end
end
redis.call('HINCRBY', KEYS[1], 'pool', 1)
redis.call('HSET', KEYS[4], ARGV[1], 'returned')
return {'returned'}
"""


class GateUnavailable(ServiceUnavailable):
    """Redis did not answer (restarting, unreachable): nothing was decided; the buyer may retry
    (503 with ``Retry-After``, ``millet.core.outage``)."""

    code = "gate_unavailable"

    def __init__(self) -> None:
        # Lazy: the fast path (``flashsale.middleware``) answers before the request's language is
        # chosen, and renders it in that language itself.
        super().__init__(gettext_lazy("the flash-sale gate is not answering; try again in a moment"))


@dataclass(frozen=True)
class Decision:
    """The gate's answer: ``ok`` with the claim's id, or the reason it refused."""

    outcome: str
    gate_id: str = ""


@dataclass(frozen=True)
class StreamClaim:
    gate_id: str
    customer_id: int
    claimed_at: datetime


@dataclass(frozen=True)
class BadEntry:
    """A stream entry that is not a claim the gate writes (the script always writes a positive
    customer id and a time in ms): set aside by the writer, never retried."""

    gate_id: str
    fields: str  # what was read, for the dead letter


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


_scripts: dict[str, object] = {}


def client() -> redis_client.Client:
    """The process's shared client (``millet.core.redis_client``), its scripts registered."""
    shared = redis_client.shared()
    if _scripts.get("client") is not shared:
        _scripts.update(
            client=shared, claim=shared.register_script(_CLAIM), give_back=shared.register_script(_RETURN)
        )
    return shared


def reset_client() -> None:
    """Forget the connection pools (tests point REDIS_URL at a private server)."""
    redis_client.reset()
    _scripts.clear()


def tokens_in_script() -> bool:
    """Whether the claim script may read the token cache's entry itself: on one Redis, yes; on a
    cluster the entry is in another slot (see the module's docstring)."""
    return not redis_client.is_cluster()


# How long a claim request's answer is kept for a resend of it (``_CLAIM``): well beyond the longest
# a call keeps resending, (1 + redis_client.RETRIES) socket timeouts and the backoff between.
REQUEST_KEEP_MS = 60_000

# On a cluster, how long a claim waits for the master's replica to confirm it. Local replication
# takes well under a millisecond (bench/flashsale_cluster.py measures what WAIT costs a claim).
REPLICA_WAIT_MS = 200
# A master whose replica did not confirm in time is not waited for again for this long, so a master
# left alone by a failover answers at full speed rather than REPLICA_WAIT_MS late.
UNREPLICATED_PAUSE_S = 1.0
_unreplicated_until: dict[str, float] = {}


def _run(script: str, keys: list[str], args: list):
    """Run one of the gate's scripts; on a cluster, replicated before it returns (module docstring).
    A call that timed out or lost its connection is sent again (``redis_client.RETRIES`` times), and
    answers as its first run did (module docstring).

    Raises GateUnavailable when Redis (or the key's master) still cannot answer; then the script may
    or may not have run once. A buyer who asks again makes a new claim request, bounded by the
    customer's limit; a return is once per claim however often it is asked."""
    try:
        c = client()
        if not redis_client.is_cluster():
            return _scripts[script](keys=keys, args=args, client=redis_client.own_connection())
        sha = _scripts[script].sha
        return _on_master(c, keys[0], lambda pipe: pipe.evalsha(sha, len(keys), *keys, *args))[0]
    except redis_client.UNAVAILABLE as exc:
        raise GateUnavailable() from exc


def _on_master(c, key: str, queue) -> list:
    """Cluster: the commands ``queue(pipeline)`` adds, run on the master of ``key``'s slot and followed
    by ``WAIT 1`` on the same connection (WAIT counts that connection's writes, and with them every
    write the master made before); their answers. The layout is asked again when a failover or a
    slot move sent the commands to the wrong node; a promoted replica is given the scripts. When the
    master does not answer in time, the layout is asked again and the commands sent again, as
    ``redis_client.retry_policy()`` says: what ``queue`` adds must be safe to run twice."""
    return redis_client.retry_policy().call_with_retry(
        lambda: _on_master_once(c, key, queue), lambda _error: _relearn_layout(c)
    )


def _relearn_layout(c) -> None:
    """The master may have failed over: ask the cluster for its layout (best effort)."""
    with suppress(*redis_client.ERRORS):
        c.nodes_manager.initialize()


def _on_master_once(c, key: str, queue) -> list:
    for _ in range(3):
        node = c.get_node_from_key(key)
        conn = c.get_redis_connection(node)
        waits = time.monotonic() >= _unreplicated_until.get(node.name, 0.0)
        pipe = conn.pipeline(transaction=False)
        queue(pipe)
        queued = len(pipe)
        if waits:
            pipe.execute_command("WAIT", 1, REPLICA_WAIT_MS)
        results = pipe.execute(raise_on_error=False)
        answers, confirmed = results[:queued], results[queued:]
        if any(isinstance(a, NoScriptError) for a in answers):  # a promoted replica has no scripts
            for script in (_CLAIM, _RETURN):
                conn.script_load(script)
            continue
        if any(isinstance(a, AskError) for a in answers):  # MOVED or ASK: nothing ran there
            c.nodes_manager.initialize()
            continue
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        if waits and not (isinstance(confirmed[0], int) and confirmed[0] >= 1):
            log.warning("Redis master %s: no replica confirmed in %d ms", node.name, REPLICA_WAIT_MS)
            _unreplicated_until[node.name] = time.monotonic() + UNREPLICATED_PAUSE_S
        return answers
    raise redis.TryAgainError("the campaign's slot kept moving")


def keys(code: str) -> dict[str, str]:
    tag = f"fs:{{{code}}}"
    return {
        "state": f"{tag}:state",
        "taken": f"{tag}:taken",
        "stream": f"{tag}:claims",
        "returned": f"{tag}:returned",
    }


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def load(
    *,
    code: str,
    starts_at: datetime,
    ends_at: datetime,
    limit: int,
    pool: int,
    customer_rate: int,
    ip_rate: int,
    taken: dict[int, int],
) -> None:
    """Give the gate a campaign's state; fields already there are kept, so reloading after a Redis
    restart (its AOF has the live state) never hands out units a second time."""
    k = keys(code)
    try:
        c = client()
        pipe = c.pipeline(transaction=True)
        for field, value in (
            ("start_ms", _ms(starts_at)),
            ("end_ms", _ms(ends_at)),
            ("limit", limit),
            ("cust_rate", customer_rate),
            ("ip_rate", ip_rate),
        ):
            pipe.hset(k["state"], field, value)  # settings may change; counters below may not
        pipe.hsetnx(k["state"], "pool", pool)
        for customer, n in taken.items():
            pipe.hsetnx(k["taken"], str(customer), n)
        pipe.execute()
        try:
            c.xgroup_create(k["stream"], GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
    except redis_client.UNAVAILABLE as exc:
        raise GateUnavailable() from exc


def loaded(code: str) -> bool:
    try:
        return bool(client().hexists(keys(code)["state"], "pool"))
    except redis_client.UNAVAILABLE as exc:
        raise GateUnavailable() from exc


def claim(code: str, customer_id: int, ip: str) -> Decision:
    """One unit for ``customer_id`` (already authenticated), or the reason why not."""
    decision, _ = _run_claim(code, [], [customer_id, ip])
    return decision


def claim_for_token(code: str, token_key: str, ip: str) -> tuple[Decision, bytes]:
    """The same decision for the customer whose token owner sits in the shared cache under
    ``token_key``, read in the same round trip: ``Decision("auth")`` when it is not there (never
    cached, expired, or revoked), else the decision and the cache entry it was made for."""
    return _run_claim(code, [token_key], ["", ip])


def _run_claim(code: str, token_keys: list[str], args: list) -> tuple[Decision, bytes]:
    """One claim request: its id is drawn here, once, so every resend of it (``_run``) is the same
    request and answers the first claim."""
    k = keys(code)
    tag = f"fs:{{{code}}}"
    rate_keys = [f"{tag}:rl:c:", f"{tag}:rl:ip:{args[1]}"]
    request = f"{tag}:req:{secrets.token_hex(16)}"
    claim_keys = [k["state"], k["taken"], k["stream"], *rate_keys, request, *token_keys]
    outcome, gate_id, owner = _run("claim", claim_keys, [*args, REQUEST_KEEP_MS])
    return Decision(outcome.decode(), gate_id.decode()), owner


def give_back(code: str, gate_id: str, customer_id: int, offer_to: int | None) -> Decision:
    """Return an expired claim's unit: to ``offer_to`` (a waitlisted customer) or to the pool."""
    k = keys(code)
    return_keys = [k["state"], k["taken"], k["stream"], k["returned"]]
    answer = _run("give_back", return_keys, [gate_id, customer_id, offer_to or ""])
    return Decision(answer[0].decode(), answer[1].decode() if len(answer) > 1 else "")


def pool(code: str) -> int | None:
    value = client().hget(keys(code)["state"], "pool")
    return None if value is None else int(value)


def sold_out_at(code: str) -> datetime | None:
    value = client().hget(keys(code)["state"], "soldout_ms")
    return None if value is None else from_ms(value)


def queued_claim(code: str, gate_id: str) -> StreamClaim | None:
    """A claim still in the stream (accepted, order not yet written)."""
    try:
        entries = client().xrange(keys(code)["stream"], gate_id, gate_id)
    except redis.ResponseError:  # not a stream id
        return None
    parsed = _parse(entries[0]) if entries else None
    return parsed if isinstance(parsed, StreamClaim) else None


def _parse(entry) -> StreamClaim | BadEntry:
    entry_id, fields = entry
    gate_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    try:
        customer_id, claimed_at = int(fields[b"c"]), from_ms(fields[b"t"])
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return BadEntry(gate_id, repr(fields)[:1024])
    if not 0 < customer_id < 2**63:
        return BadEntry(gate_id, repr(fields)[:1024])
    return StreamClaim(gate_id, customer_id, claimed_at)


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def read_claims(codes: list[str], *, count: int, block_ms: int, reclaim_idle_ms: int) -> dict[str, list]:
    """Claims for this writer (``StreamClaim``, or ``BadEntry`` for an entry that is not one): first
    those a dead writer left pending, then new ones.

    An entry stays pending until ``ack`` is called after its order committed, so a writer killed
    mid-batch loses nothing: after ``reclaim_idle_ms`` another writer takes its entries over.
    """
    if redis_client.is_cluster():
        found = {code: _read_on_master(code, count, reclaim_idle_ms) for code in codes}
        return {code: entries for code, entries in found.items() if entries}
    c = client()
    me = consumer_name()
    out: dict[str, list] = {}
    for code in codes:
        stream = keys(code)["stream"]
        try:
            _, entries, _ = c.xautoclaim(stream, GROUP, me, min_idle_time=reclaim_idle_ms, count=count)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            continue
        mine = c.xreadgroup(GROUP, me, {stream: "0"}, count=count)  # own unacked, after a crash-retry
        unique = {e[0]: e for e in entries if e[1]}  # just reclaimed entries are also in "mine"
        unique.update((e[0], e) for _, batch in mine for e in batch if e[1])
        if unique:
            out[code] = [_parse(e) for e in unique.values()]
    fresh_wanted = {keys(code)["stream"]: ">" for code in codes if code not in out}
    if fresh_wanted:
        code_of = {keys(code)["stream"]: code for code in codes}
        for stream, batch in c.xreadgroup(GROUP, me, fresh_wanted, count=count, block=block_ms or None) or []:
            name = stream.decode() if isinstance(stream, bytes) else stream
            out[code_of[name]] = [_parse(e) for e in batch]
    return out


def _read_on_master(code: str, count: int, reclaim_idle_ms: int) -> list:
    """Cluster: one campaign's claims for this writer (reclaimed, its own unacknowledged, new), read
    in one pipeline on the campaign's master that ends with ``WAIT 1``. One ``XREADGROUP`` may not
    span campaigns (their streams are in different slots), and none blocks: the worker polls. The
    WAIT means a claim becomes an order only once the replica holds it, so a failover never forgets
    a claim that already has an order (its unit would be sold twice, the second claim refused)."""
    stream, me = keys(code)["stream"], consumer_name()

    def queue(pipe) -> None:
        pipe.xautoclaim(stream, GROUP, me, min_idle_time=reclaim_idle_ms, count=count)
        pipe.xreadgroup(GROUP, me, {stream: "0"}, count=count)
        pipe.xreadgroup(GROUP, me, {stream: ">"}, count=count)

    try:
        (_, reclaimed, _), mine, fresh = _on_master(client(), stream, queue)
    except redis.ResponseError as exc:
        if "NOGROUP" not in str(exc):
            raise
        return []
    unique = {e[0]: e for e in reclaimed if e[1]}
    unique.update((e[0], e) for _, batch in (mine or []) + (fresh or []) for e in batch if e[1])
    return [_parse(e) for e in unique.values()]


def queue_ahead(code: str, gate_id: str, *, cap: int = 1000) -> int:
    """How many claims the gate accepted before ``gate_id`` still wait for their order: pending in
    the writers' group or not yet delivered to a writer; counted up to ``cap`` (a buyer's page
    says "more than 1,000" rather than walk a long backlog)."""
    c = client()
    stream = keys(code)["stream"]
    try:
        groups = c.xinfo_groups(stream)
        pending = c.xpending_range(stream, GROUP, min="-", max=f"({gate_id}", count=cap)
    except redis.ResponseError:  # no stream yet, or not a stream id
        return 0
    last = next((g["last-delivered-id"] for g in groups if g["name"] in (GROUP, GROUP.encode())), b"0-0")
    last = last.decode() if isinstance(last, bytes) else str(last)
    undelivered = c.xrange(stream, min=f"({last}", max=f"({gate_id}", count=cap)
    return min(cap, len(pending) + len(undelivered))


def ack(code: str, gate_ids: list[str]) -> None:
    if gate_ids:
        client().xack(keys(code)["stream"], GROUP, *gate_ids)


def backlog(code: str) -> int:
    """Claims accepted but not yet written as orders (pending plus never delivered)."""
    c = client()
    stream = keys(code)["stream"]
    try:
        groups = c.xinfo_groups(stream)
    except redis.ResponseError:
        return 0
    for group in groups:
        if group["name"] in (GROUP, GROUP.encode()):
            return int(group.get("pending", 0)) + int(group.get("lag") or 0)
    return 0


def forget(code: str) -> None:
    """Drop a campaign's gate state (tests, and campaigns closed long ago)."""
    c = client()
    k = keys(code)
    c.delete(*k.values())
