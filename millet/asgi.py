"""ASGI entry point, for serving many open event streams from one process (the device owner's live
pages: ``devices.views.events``). ``gunicorn -k asgi millet.asgi:application`` runs it; a page's
stream then holds a coroutine, not a thread. ``bench/live.py`` measures it."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")

application = get_asgi_application()
