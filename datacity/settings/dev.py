"""Settings for `make run` on a laptop: debug on, demo accounts usable, mail printed on the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-never-used-in-production-4f9c2a")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
DEMO_ACCOUNTS_ENABLED = env.bool("DEMO_ACCOUNTS_ENABLED", default=True)

# Serve static files straight from the apps and static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# No reverse proxy in front of `make run`: Django serves uploaded files (logos) itself, with DEBUG on or off.
SERVE_MEDIA = True

# WebAuthn on http://localhost while developing.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
