"""Production mode is safe by default (issue 8, fault 11).

Settings are read once per process, so production mode is started in a fresh Python each time.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(50)

# Prints what a production process decided, and what it answers over plain and secure HTTP.
PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.test import Client
page = "/api/docs"
plain = Client().get(page)
secure = Client().get(page, secure=True)
proxied = Client(REMOTE_ADDR="127.0.0.1").get(page, HTTP_X_FORWARDED_PROTO="https")
forged = Client(REMOTE_ADDR="203.0.113.5").get(page, HTTP_X_FORWARDED_PROTO="https")
probe = Client().get("/api/health")
print(json.dumps({
    "debug": settings.DEBUG,
    "cookies_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "plain": [plain.status_code, plain.get("Location", "")],
    "secure": [secure.status_code, secure.get("Strict-Transport-Security", "")],
    "proxied": proxied.status_code,
    "forged": forged.status_code,
    "probe": probe.status_code,
}))
"""


def run(env: dict[str, str], *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    # A clean environment: only what this test sets, not what other tests left in os.environ.
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    base |= {
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MILLET_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.run(
        [sys.executable, *args], env=base | env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "MILLET_SECRET_KEY must be set"),
        ("s3cret-but-short", "16 characters; at least 50"),
        ("a" * 64, "bits of entropy"),
        ("millet" * 10, "bits of entropy"),
        ("django-insecure-" + STRONG_KEY, "default or insecure prefix"),
    ],
    ids=["unset", "short", "one-letter", "repeated-word", "insecure-prefix"],  # alike in every xdist worker
)
def test_production_refuses_to_start_on_a_weak_secret(tmp_path, key, reason):
    env = {"MILLET_PRODUCTION": "1"} | ({"MILLET_SECRET_KEY": key} if key is not None else {})
    started = run(env, "-m", "django", "check", tmp_path=tmp_path)
    assert started.returncode != 0
    assert "InsecureConfiguration" in started.stderr and reason in started.stderr, started.stderr


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"MILLET_TLS_PROXY": "1"}, "MILLET_TLS_PROXY needs MILLET_TRUSTED_PROXIES"),
        ({"MILLET_TRUSTED_PROXIES": "10.0.0.1, proxy.internal"}, "'proxy.internal' is not an IP"),
    ],
)
def test_forwarded_header_settings_that_would_trust_anyone_stop_startup(tmp_path, env, reason):
    started = run(
        {"MILLET_PRODUCTION": "1", "MILLET_SECRET_KEY": STRONG_KEY} | env,
        "-m",
        "django",
        "check",
        tmp_path=tmp_path,
    )
    assert started.returncode != 0 and reason in started.stderr, started.stderr


def test_production_forces_debug_off_and_serves_https_only(tmp_path):
    env = {"MILLET_PRODUCTION": "1", "MILLET_SECRET_KEY": STRONG_KEY, "MILLET_DEBUG": "1"}
    probe = run(env, "-c", PROBE, tmp_path=tmp_path)
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["debug"] is False
    assert seen["cookies_secure"] == [True, True]
    assert seen["plain"] == [301, "https://testserver/api/docs"]
    assert seen["probe"] == 200  # the liveness probe, exempt: a load balancer asks over plain HTTP
    assert seen["secure"] == [200, "max-age=31536000; includeSubDomains"]
    # No TLS proxy configured: X-Forwarded-Proto is nobody's word.
    assert seen["proxied"] == seen["forged"] == 301


def test_tls_at_a_trusted_proxy_is_believed_from_that_proxy_only(tmp_path):
    env = {
        "MILLET_PRODUCTION": "1",
        "MILLET_SECRET_KEY": STRONG_KEY,
        "MILLET_TLS_PROXY": "1",
        "MILLET_TRUSTED_PROXIES": "127.0.0.1",
    }
    probe = run(env, "-c", PROBE, tmp_path=tmp_path)
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert (seen["proxied"], seen["forged"]) == (200, 301)


def test_check_deploy_is_clean_but_for_what_the_readme_explains(tmp_path):
    env = {
        "MILLET_PRODUCTION": "1",
        "MILLET_SECRET_KEY": STRONG_KEY,
        "MILLET_ALLOWED_HOSTS": "shop.example.com",
    }
    checked = run(env, "-m", "django", "check", "--deploy", tmp_path=tmp_path)
    assert checked.returncode == 0, checked.stderr
    remaining = set(re.findall(r"\((\w+\.\w+)\)", checked.stdout + checked.stderr))
    readme = (ROOT / "README.md").read_text()
    assert remaining <= {"security.W021"}, checked.stdout + checked.stderr
    assert all(f"`{warning}`" in readme for warning in remaining)


@pytest.mark.django_db
def test_every_page_is_sent_with_a_content_security_policy_and_security_headers():
    from millet.regions.services import ensure_default_markets

    ensure_default_markets()
    for path in ("/shop/cn/", "/account/login/", "/admin/login/", "/api/docs"):
        response = Client().get(path)
        assert response.status_code == 200, path
        policy = dict(
            part.strip().split(" ", 1)
            for part in response["Content-Security-Policy"].split(";")
            if part.strip()
        )
        assert policy["script-src"] == "'self'"  # no inline script, no eval (Alpine.js: its CSP build)
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert "unsafe-eval" not in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
