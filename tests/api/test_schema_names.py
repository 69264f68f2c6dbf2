"""Every request and response type in the served OpenAPI has its own name.

django-ninja keeps one definition per name: two schemas that share a name make the documentation
show one shape for both (the insurance claim route once showed the device-claim body). The check
builds the document and watches each definition arrive.
"""

from __future__ import annotations

import json

from ninja.openapi.schema import OpenAPISchema

from millet.api import api


class _Watching(OpenAPISchema):
    def add_schema_definitions(self, definitions: dict) -> None:
        known = self.__dict__.setdefault("_seen", {})
        clashes = self.__dict__.setdefault("_clashes", set())
        for name, body in definitions.items():
            shape = json.dumps(body, sort_keys=True, default=str)
            if known.setdefault(name, shape) != shape:
                clashes.add(name)
        super().add_schema_definitions(definitions)


def test_no_two_schemas_share_a_name():
    document = _Watching(api, path_prefix="")
    assert document._seen, "no schema definitions were seen; the check would pass vacuously"
    assert not document._clashes, f"schema names used for different shapes: {sorted(document._clashes)}"
