"""WSGI entry point (gunicorn datacity.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datacity.settings.production")

application = get_wsgi_application()
