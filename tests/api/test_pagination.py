"""Every list route follows one pagination rule (core.pagination): an offset past MAX_OFFSET, or
one too large for a database integer, is a 422, never a 500 (issue 8, fault 5). The routes are read
from the served OpenAPI, so a new list route is checked without a test being written."""

from __future__ import annotations

import re

import pytest

from millet.api import api
from millet.core.pagination import MAX_OFFSET

DOCUMENT = api.get_openapi_schema(path_prefix="/api/")
LISTS = sorted(
    path
    for path, methods in DOCUMENT["paths"].items()
    if any(p["name"] == "offset" for p in methods.get("get", {}).get("parameters", []))
)


def test_the_list_routes_are_found():
    assert {"/api/sales/orders", "/api/finance/transfers", "/api/lending/loans"} <= set(LISTS)


@pytest.mark.django_db
@pytest.mark.parametrize("path", LISTS)
def test_an_offset_out_of_range_is_422(world, path):
    url = re.sub(r"\{[^}]+\}", "1", path)[len("/api") :]
    staff = world.client("staff")
    for offset in (10**20, MAX_OFFSET + 1, -1):
        answer = staff.get(f"{url}?offset={offset}")
        assert answer.status_code == 422, (offset, answer.content)
        assert answer.json()["error"] == "invalid_input"
    assert staff.get(f"{url}?offset={MAX_OFFSET}").status_code in (200, 404)  # 404: no such parent
