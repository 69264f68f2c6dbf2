"""WSGI entry point for gunicorn (production and benchmarks)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")
application = get_wsgi_application()
