"""Racing real threads (each with its own database connection) against the same rows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import close_old_connections, connection

from millet.core.errors import DomainError

Row = TypeVar("Row")


def race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in n threads released together; each result is a return value or a DomainError."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except DomainError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_old_connections()
    return results


def lock_waiters() -> int:
    """How many sessions on the test database wait for a lock now (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def first_held(
    first: Callable[[Callable[[], None]], object], second: Callable[[], object]
) -> tuple[object, object]:
    """The interleaving a race only sometimes gives, every time (PostgreSQL): ``first(hold)`` runs in
    a thread and stops where it calls ``hold()`` (the first call only); ``second()`` starts then, and
    the first goes on only once the second waits on a lock or has finished without meeting the
    first's locks. Returns both answers, each a return value or the exception raised."""
    from tests.devices.mqtt_fixtures import wait_until

    reached, go, answers = threading.Event(), threading.Event(), {}

    def hold() -> None:
        if not reached.is_set():
            reached.set()
            go.wait(30)

    def run(name: str, work: Callable[[], object]) -> None:
        try:
            answers[name] = work()
        except Exception as exc:  # noqa: BLE001 - the answer under test, an IntegrityError included
            answers[name] = exc
        finally:
            reached.set()  # a first that fails before its hold lets the test go on and show it
            connection.close()

    threads = [
        threading.Thread(target=run, args=("first", lambda: first(hold))),
        threading.Thread(target=run, args=("second", second)),
    ]
    threads[0].start()
    try:
        assert reached.wait(30), "the first never reached its hold"
        threads[1].start()
        wait_until(
            lambda: not threads[1].is_alive() or lock_waiters() >= 1,
            timeout=30,
            what="the second to wait for the first's locks or finish",
        )
    finally:
        go.set()
        for thread in threads:
            if thread.ident:  # started
                thread.join(30)
    close_old_connections()
    return answers["first"], answers.get("second")


def behind_open_transaction(
    first: Callable[[], object], second: Callable[[], object]
) -> tuple[object, object]:
    """``first_held`` with the first held after ``first()`` returns, its transaction still open."""
    from django.db import transaction

    def in_open_transaction(hold: Callable[[], None]) -> object:
        with transaction.atomic():
            result = first()
            hold()
            return result

    return first_held(in_open_transaction, second)


def held_at_call(
    monkeypatch,
    owner: object,
    name: str,
    first: Callable[[], object],
    second: Callable[[], object],
    *,
    before: bool = False,
) -> tuple[object, object]:
    """``first_held`` with the first held right after its call of ``owner.name`` returns (patched
    for the test), or right before it (``before``); the second's own calls pass straight through."""
    real = getattr(owner, name)
    holds: list[Callable[[], None]] = []

    def held(*args, **kwargs):
        if before and holds:
            holds.pop()()
        found = real(*args, **kwargs)
        if holds:
            holds.pop()()
        return found

    monkeypatch.setattr(owner, name, held)

    def first_with_hold(hold: Callable[[], None]) -> object:
        holds.append(hold)
        return first()

    return first_held(first_with_hold, second)


def deleted_meanwhile(find: Callable[[str], Row]) -> Callable[[str], Row]:
    """``find``, deleting the row it found before handing it back: a back-office delete that lands
    between a service's look-up and its write of a row referring to it (the reference's foreign key
    then refuses the write at commit)."""

    def find_then_delete(key: str) -> Row:
        row = find(key)
        type(row).objects.filter(pk=row.pk).delete()
        return row

    return find_then_delete
