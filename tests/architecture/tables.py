"""Which domain a SQL statement comes from and which domains' tables it touches.

Used by the suite-wide check in ``tests/conftest.py``: every statement Millet's own code issues
must stay in the tables of the domain (the Django app) whose code issued it. The code is the
innermost ``millet.*`` frame on the stack, so a service that asks another domain's service is
that other domain's statement, while a foreign key followed from sales into catalog's table is
sales' statement and is refused. Admin modules (the back office's search across tables) and
migrations are left out; so are statements issued by test code itself and by Django's own
commands (``flush``, ``migrate``) that a Millet command runs.
"""

from __future__ import annotations

import re
import sys
from functools import cache

from django.apps import apps

# Django's user and group tables are the accounts domain's: it owns who people are. The framework's
# own tables (content types, permissions, sessions, the admin log) belong to no domain and are not checked.
ACCOUNTS_TABLES = {"auth_user", "auth_group", "auth_user_groups"}


@cache
def _apps() -> tuple[list[tuple[str, str]], dict[str, str], re.Pattern]:
    """(app package, label) longest first; table -> app label; a pattern matching any table name."""
    packages = sorted(((c.name, c.label) for c in apps.get_app_configs()), key=lambda p: -len(p[0]))
    tables = {
        m._meta.db_table: m._meta.app_label
        for m in apps.get_models(include_auto_created=True)
        if apps.get_app_config(m._meta.app_label).name.startswith("millet.")
    }
    tables.update(dict.fromkeys(ACCOUNTS_TABLES, "accounts"))
    names = sorted(tables, key=len, reverse=True)
    return packages, tables, re.compile(r'(?<![\w.])"?(' + "|".join(map(re.escape, names)) + r')"?(?![\w])')


def _app_of(module: str) -> str | None:
    for package, label in _apps()[0]:
        if module == package or module.startswith(package + "."):
            return label
    return None


def issuing_app() -> tuple[str, str] | None:
    """(module, app label) of the innermost Millet frame, or None for test code, admin, migrations."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(("tests.", "django.core.management.commands.")) or module == "tests":
            return None  # test code, or Django's own commands (flush, migrate) run by a Millet command
        if module == "django.contrib.auth" and frame.f_code.co_name == "get_user":
            return None  # Django loading the session's user for request.user, whichever page reads it first
        if module in ("millet.web.middleware", "millet.flashsale.middleware"):
            return None  # passes the request on: a third-party view below it (allauth's) is no domain's
        if module.startswith("millet."):
            if ".migrations." in module or module.endswith(".admin") or module.startswith("millet.core."):
                return None
            label = _app_of(module)
            return (module, label) if label else None
        frame = frame.f_back
    return None


def foreign_tables(sql: str, app: str) -> set[str]:
    """The tables ``sql`` names that belong to an app other than ``app``."""
    _, tables, pattern = _apps()
    return {name for name in pattern.findall(sql) if tables[name] != app}
