"""Racing real threads (each with its own database connection) against the same rows."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import close_old_connections, connection

from millet.core.errors import DomainError


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


def behind_open_transaction(
    first: Callable[[], object], second: Callable[[], object]
) -> tuple[object, object]:
    """The interleaving a race only sometimes gives, every time (PostgreSQL): ``first`` runs in a
    transaction held open after it returns; ``second`` starts then, and the first commits only once
    the second waits on a lock (or has finished without meeting the first's locks). Returns both
    results (a return value or a DomainError)."""
    from django.db import transaction

    from tests.devices.mqtt_fixtures import wait_until

    done, commit, results = threading.Event(), threading.Event(), {}

    def run(name: str, work: Callable[[], object]) -> None:
        try:
            if name == "first":
                with transaction.atomic():
                    results[name] = work()
                    done.set()
                    commit.wait(30)
            else:
                results[name] = work()
        except DomainError as exc:
            results[name] = exc
        finally:
            done.set()
            connection.close()

    threads = {
        name: threading.Thread(target=run, args=(name, work))
        for name, work in (("first", first), ("second", second))
    }
    threads["first"].start()
    try:
        assert done.wait(30) and "first" in results, results
        threads["second"].start()
        wait_until(
            lambda: not threads["second"].is_alive() or lock_waiters() == 1,
            timeout=30,
            what="the second to wait for the first's locks or finish",
        )
    finally:
        commit.set()
        for thread in threads.values():
            if thread.ident:  # started
                thread.join(30)
    close_old_connections()
    return results["first"], results["second"]
