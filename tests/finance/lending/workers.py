"""What each child process of the process-concurrency test runs (a module, so ``spawn`` can import it).

A child is a fresh interpreter: it points DATABASE_URL at the parent's test database, runs
``django.setup()``, waits at the barrier with its siblings, then performs its tasks and reports,
for each, "ok:<event id>" or the domain error's code.
"""

from __future__ import annotations

import os


def run(database_url: str, tasks: list[tuple], barrier, results) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")
    import django

    django.setup()
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection

    from millet.accounts.actor import SYSTEM, actor_for_user
    from millet.core.errors import DomainError
    from millet.lending import services as lending
    from millet.sales.services import ReturnRequest, return_order

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["alice", "bob"])}
    outcomes = []
    barrier.wait(timeout=120)
    for task in tasks:
        try:
            if task[0] == "repay":
                _, user, loan, amount, key = task
                event = lending.repay(
                    actor_for_user(users[user]),
                    loan,
                    amount=Decimal(amount),
                    currency="CNY",
                    payment_token="tok_ok",
                    idempotency_key=key,
                )
                outcomes.append((task, f"ok:{event.pk}"))
            else:
                _, order, line_id = task
                ret = return_order(
                    SYSTEM, order, lines=[ReturnRequest(line_id, 1)], warehouse_code="WH-CN-SH"
                )
                outcomes.append((task, f"ok:{ret.pk}"))
        except DomainError as exc:
            outcomes.append((task, exc.code))
    connection.close()
    results.put(outcomes)
