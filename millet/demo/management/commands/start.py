"""``millet start``: the quick start. Migrate, load the demo once, then serve on embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from rich.console import Console

from millet.demo.build import ADMIN_PASSWORD, ADMIN_USER, DEMO_LOGINS


class Command(BaseCommand):
    help = "Prepare the database, load demo data if empty, and serve Millet (gunicorn, 2x16 threads)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("MILLET_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("MILLET_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-serve", action="store_true", help="Prepare only (used by tests).")
        parser.add_argument(
            "--no-devices",
            action="store_true",
            help="Do not start the embedded broker, ingestion and simulator.",
        )

    def handle(
        self, *args, host: str, port: int, workers: int, no_serve: bool, no_devices: bool = False, **options
    ) -> None:
        console = Console()
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        console.print(f"Database: {connection.vendor} ({settings.DATABASES['default']['NAME']})")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("demo", if_empty=True)
        url = f"http://{host}:{port}"
        lines = [
            f"Millet's store is at {url}/  (markets: {url}/shop/cn/  {url}/shop/in/  {url}/shop/de/)",
            f"  Sign in             {url}/account/login/  shoppers and staff, with the logins below",
            f"  Staff pages         {url}/staff/  (where staff land after signing in)",
            f"  API docs (OpenAPI)  {url}/api/docs",
            f"  Back office         {url}/admin/  login {ADMIN_USER} / {ADMIN_PASSWORD}",
            f"  Store dashboard     {url}/stores/dashboard/",
            f"  Your devices (app)  {url}/devices/  (as the demo customer: live readings and controls)",
            *(f"  Demo login          {user} / {password}" for user, password in DEMO_LOGINS.items()),
        ]
        if not no_devices:  # the device cloud's quick start: see millet/devices/telemetry devicecloud
            lines += [
                "  Device cloud        MQTT broker 127.0.0.1:1884, ingestion, 40 simulated devices",
                f"  Your devices        {url}/api/devices/  (as the demo customer; log var/devicecloud.log)",
                f"  Live telemetry      {url}/api/telemetry/devices/<device_id>/latest",
                f"  Send a command      POST {url}/api/devices/<device_id>/properties, then GET .../shadow",
            ]
        for line in lines:  # soft wrap: a URL or a password must never be broken across lines
            console.print(line, style="bold green" if line is lines[0] else None, soft_wrap=True)
        if no_serve:
            return
        if not no_devices:  # children of this pid, which gunicorn keeps: they stop when the server stops
            subprocess.Popen(
                [sys.executable, "-m", "millet.cli", "devicecloud", "--parent-pid", str(os.getpid())]
            )
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        os.execv(
            gunicorn,
            [
                gunicorn,
                "millet.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                # Threads, so a device owner's open live page (an event stream: devices.views.events)
                # holds a thread, not one of the two workers; the site stays served while pages listen.
                "--worker-class",
                "gthread",
                "--threads",
                "16",
                "--access-logfile",
                "-",
            ],
        )
