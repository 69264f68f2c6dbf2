"""django-oscar's checkout as a bench peer: its own virtualenv, a fresh PostgreSQL database on the
same server as Millet's, the seed, and the wrk script that places orders through it.

The project is ``bench/support/oscar_peer/`` (see its views.py for what one checkout does). The
virtualenv is made under ``var/bench/oscar-venv`` with ``python -m venv`` and the pinned
``requirements.txt`` beside the project, only when missing, so a second run costs nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support.harness import PG_ADMIN_URL, ROOT

PROJECT = Path(__file__).resolve().parent / "oscar_peer"
VENV = ROOT / "var" / "bench" / "oscar-venv"

# Each request: one buyer (X-User) and one random product of the 20, one unit, as Millet's script.
LUA = """
local users = {%(users)s}
local products = {%(products)s}
local counter = 0
request = function()
  counter = counter + 1
  local user = users[(counter %% #users) + 1]
  local product = products[math.random(#products)]
  local body = '{"product":' .. product .. ',"quantity":1}'
  return wrk.format("POST", "/checkout", {["Content-Type"] = "application/json", ["X-User"] = user}, body)
end
"""


def python() -> str:
    """The peer virtualenv's interpreter, creating the virtualenv first when it is missing."""
    interpreter = VENV / "bin" / "python"
    if not interpreter.exists():
        print(f"creating the django-oscar peer's virtualenv in {VENV}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(interpreter), "-m", "pip", "install", "-q", "-r", str(PROJECT / "requirements.txt")],
            check=True,
        )
    return str(interpreter)


def peer_env(db_name: str) -> dict:
    """The peer's environment: its own settings and database, nothing of Millet's."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL", "REDIS_URL")}
    return {**env, "DJANGO_SETTINGS_MODULE": "settings", "PYTHONPATH": str(PROJECT), "OSCAR_PEER_DB": db_name}


def prepare(db_name: str, interpreter: str, env: dict) -> dict:
    """A fresh database, Oscar's migrations and the seed; returns the seed (users, products)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db_name}")
    for args in (["-m", "django", "migrate", "-v0"], [str(PROJECT / "seed.py")]):
        done = subprocess.run([interpreter, *args], env=env, cwd=PROJECT, text=True, capture_output=True)
        if done.returncode:
            sys.exit(f"oscar peer {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def lua(seed: dict) -> str:
    return LUA % {
        "users": ",".join(f'"{u}"' for u in seed["users"]),
        "products": ",".join(str(p) for p in seed["products"]),
    }


def count_orders(db_name: str) -> int:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name) as conn:
        return conn.execute("SELECT count(*) FROM order_order").fetchone()[0]
