"""PostgreSQL plans the hot paths' statements once per connection (settings: server-side binding and
psycopg's prepared statements), not on every request."""

from __future__ import annotations

import pytest
from django.db import connection

from millet.regions.models import Market

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_a_statement_run_again_and_again_is_prepared(require_postgres):
    for code in ["CN", "IN", "DE", "CN", "IN", "DE"]:  # one statement, six parameter sets
        list(Market.objects.filter(code=code).values_list("name", "code"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%"regions_market"."name" AS "name", "regions_market"."code" AS "code"%'],
        )
        found = [statement for (statement,) in cursor.fetchall()]
    assert len(found) == 1 and "$1" in found[0]  # bound on the server, planned once
