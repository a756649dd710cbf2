"""Production settings refuse to start without real secrets and never allow demo accounts."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD_ENV = {
    "DJANGO_SETTINGS_MODULE": "datacity.settings.production",
    "SECRET_KEY": "q8W!vN3#zR7tL1pX9mK4sD6fH2jB5cV0nY8uE3iO7aQ1wS4gT6e",
    "ALLOWED_HOSTS": "datacity.example.org",
    "DATABASE_URL": "postgres://datacity@db.example.org:5432/datacity",
    "REDIS_URL": "redis://redis.example.org:6379/0",
}


def load_production_settings(**overrides) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in GOOD_ENV}
    env |= {key: value for key, value in (GOOD_ENV | overrides).items() if value is not None}
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DEMO_ACCOUNTS_ENABLED, settings.PASSWORD_HASHERS[0].rsplit('.', 1)[1], "
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_production_settings_load_with_the_required_environment():
    result = load_production_settings(DEMO_ACCOUNTS_ENABLED="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "Argon2PasswordHasher", "True", "True"]


def test_production_settings_refuse_a_missing_variable():
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
        result = load_production_settings(**{name: None})
        assert result.returncode != 0
        assert name in result.stderr


def test_production_settings_refuse_a_weak_or_development_secret_key():
    for key in ("short", "dev-only-insecure-key-never-used-in-production-4f9c2a-xxxxxx", "a" * 60):
        result = load_production_settings(SECRET_KEY=key)
        assert result.returncode != 0
        assert "SECRET_KEY must be a random string" in result.stderr
