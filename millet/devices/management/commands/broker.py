"""``millet broker``: run the embedded MQTT broker, set up / resync a production Mosquitto, or print
a RabbitMQ node's configuration."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from millet.devices.mqtt.config import ADMIN_USER, broker_address, service_credentials


class Command(BaseCommand):
    help = "Run the embedded MQTT broker (default), or prepare/resync Mosquitto's dynamic security."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=None, help="Listen address (default MILLET_MQTT_HOST).")
        parser.add_argument("--port", type=int, default=None, help="Listen port (default MILLET_MQTT_PORT).")
        parser.add_argument(
            "--mosquitto-setup",
            metavar="DIR",
            help="Write mosquitto.conf and a dynamic-security file whose admin is Millet's, then exit.",
        )
        parser.add_argument(
            "--rabbitmq-conf",
            metavar="MILLET_URL",
            help="Print a RabbitMQ node's rabbitmq.conf asking this Millet at MILLET_URL, then exit.",
        )
        parser.add_argument(
            "--resync", action="store_true", help="Mosquitto mode: align dynsec with every device, then exit."
        )

    def handle(self, *args, host, port, mosquitto_setup, rabbitmq_conf, resync, **options) -> None:
        console = Console()
        address = broker_address()
        host, port = host or address.host, port or address.port
        if rabbitmq_conf:
            from millet.devices.mqtt.rabbitmq import rabbitmq_conf as conf
            from millet.devices.services.broker_auth import broker_auth_token

            auth_url = f"{rabbitmq_conf.rstrip('/')}/api/broker/{broker_auth_token()}/rabbitmq"
            self.stdout.write(conf(amqp_port=5672, mqtt_port=port, auth_url=auth_url, bind=host))
            return
        if mosquitto_setup:
            from millet.devices.mqtt.mosquitto import write_setup

            conf = write_setup(
                Path(mosquitto_setup), port=port, admin_password=service_credentials()[ADMIN_USER]
            )
            console.print(f"Wrote {conf}. Run: mosquitto -c {conf}", soft_wrap=True)
            console.print("Then: MILLET_MQTT_MODE=mosquitto millet broker --resync", soft_wrap=True)
            return
        if resync:
            if address.mode != "mosquitto":
                raise CommandError(
                    "--resync is for MILLET_MQTT_MODE=mosquitto; the embedded broker checks live"
                )
            from millet.devices.mqtt.broker import broker_admin

            console.print(f"{broker_admin().resync()} devices aligned in Mosquitto's dynamic security")
            return
        console.print(f"[bold green]Embedded MQTT broker on {host}:{port}[/] (Ctrl-C stops it)")
        asyncio.run(self._serve(host, port))

    async def _serve(self, host: str, port: int) -> None:
        from millet.devices.mqtt.embedded import serve

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(host, port, stop)
