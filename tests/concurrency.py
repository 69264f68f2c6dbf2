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
