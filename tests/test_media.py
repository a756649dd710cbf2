"""Uploaded files under `make run`: a logo sent through the startup form is served back over HTTP, DEBUG or not.

The development settings are loaded in a subprocess, as `make run` loads them (MEDIA_ROOT in a temporary directory),
and their file settings are applied to this process. The media route exists only where SERVE_MEDIA is on, so the
URLconf is rebuilt from datacity.urls once they are applied. Files are fetched from the project's WSGI application
behind the HTTP server runserver uses, not from pytest-django's live_server: Django's live server serves MEDIA_URL
by itself, so it would pass without any media route. Every request stays on this machine.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import types
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from PIL import Image

import datacity.urls
from startups.models import Startup
from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent
FILE_SETTINGS = ("DEBUG", "MEDIA_ROOT", "MEDIA_URL", "SERVE_MEDIA", "STORAGES")
# A direct opener: a proxy configured on the machine must not see these requests.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def load_settings(module: str, **environment: str) -> dict:
    """FILE_SETTINGS of a settings module, imported in a clean subprocess with `environment`."""
    code = (
        f"import json; from datacity.settings import {module} as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {FILE_SETTINGS!r}}}, default=str))"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **environment}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def png_bytes() -> bytes:
    """A real, small PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (12, 99, 180)).save(buffer, format="PNG")
    return buffer.getvalue()


def create_startup_with_logo(client, logo: bytes, name: str = "Kezakoo") -> Startup:
    """POST the startup form with a logo, as a founder does on /startups/new/."""
    upload = SimpleUploadedFile("notre logo.png", logo, content_type="image/png")
    data = {"name": name, "pitch_fr": "Des supports de formation.", "sector": "education", "logo": upload}
    response = client.post("/startups/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Startup.objects.get(name=name)


@pytest.fixture(params=["true", "false"], ids=["DEBUG=true", "DEBUG=false"])
def dev_file_settings(request, tmp_path) -> dict:
    """The file settings of `make run` (datacity.settings.dev), with DEBUG on and off."""
    loaded = load_settings("dev", MEDIA_ROOT=str(tmp_path / "media"), DEBUG=request.param)
    assert loaded["DEBUG"] is (request.param == "true")
    return loaded


@pytest.fixture
def dev_files(settings, dev_file_settings) -> dict:
    """This process with the development file settings and the URLconf they give."""
    settings.MEDIA_ROOT = Path(dev_file_settings["MEDIA_ROOT"])
    settings.MEDIA_URL = dev_file_settings["MEDIA_URL"]
    settings.SERVE_MEDIA = dev_file_settings["SERVE_MEDIA"]
    storages = dev_file_settings["STORAGES"]
    settings.STORAGES = {**settings.STORAGES, "default": storages["default"], "public": storages["public"]}
    urlconf = types.ModuleType("dev_urls")
    vars(urlconf)["urlpatterns"] = [*datacity.urls.media_patterns(), *datacity.urls.urlpatterns]
    settings.ROOT_URLCONF = urlconf
    return dev_file_settings


@pytest.fixture
def http_server() -> Iterator[str]:
    """The project's WSGI application behind runserver's HTTP server on 127.0.0.1 (no static or media handler)."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def founder(client):
    """A logged-in person without any organisation yet."""
    user = UserFactory.create(verified_email=True)
    client.force_login(user)
    return user


def test_development_settings_keep_uploads_on_local_disk_and_serve_them(dev_file_settings):
    assert dev_file_settings["SERVE_MEDIA"] is True
    public = dev_file_settings["STORAGES"]["public"]
    assert public["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert Path(public["OPTIONS"]["location"]) == Path(dev_file_settings["MEDIA_ROOT"]) / "public"
    assert public["OPTIONS"]["base_url"] == dev_file_settings["MEDIA_URL"] + "public/"


@pytest.mark.parametrize(
    ("module", "environment", "served"),
    [
        ("datacity.settings.dev", {}, True),
        ("datacity.settings.dev", {"DEBUG": "false"}, True),
        (
            "datacity.settings.production",
            {
                "SECRET_KEY": "q8W!vN3#zR7tL1pX9mK4sD6fH2jB5cV0nY8uE3iO7aQ1wS4gT6e",
                "ALLOWED_HOSTS": "datacity.example.org",
                "DATABASE_URL": "postgres://datacity@db.invalid:5432/datacity",
                "REDIS_URL": "redis://redis.invalid:6379/0",
            },
            False,
        ),
    ],
    ids=["dev", "dev-without-debug", "production"],
)
def test_the_project_urls_have_a_media_route_only_under_make_run(module, environment, served):
    """The real URLconf, loaded by the real settings: production leaves /media/ to the reverse proxy."""
    code = (
        "import django; django.setup(); from django.urls import Resolver404, resolve\n"
        "try:\n    match = resolve('/media/public/logos/2026/logo.png')\n"
        "    print(match.url_name, match.kwargs['path'])\n"
        "except Resolver404:\n    print('none')\n"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": module, **environment}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    expected = "media public/logos/2026/logo.png" if served else "none"
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.django_db
def test_a_logo_uploaded_through_the_startup_form_is_fetched_over_http(dev_files, http_server, client, founder):
    logo = png_bytes()
    startup = create_startup_with_logo(client, logo)
    assert startup.logo.name.startswith("logos/")
    on_disk = Path(dev_files["MEDIA_ROOT"]) / "public" / startup.logo.name
    assert on_disk.read_bytes() == logo

    url = startup.logo.url
    assert url == f"/media/public/{startup.logo.name}"
    page = client.get(f"/startups/{startup.slug}/")
    assert page.status_code == 200
    assert f'src="{url}"' in page.content.decode()
    # Same origin: the policy's 'self' covers it.
    assert "img-src 'self'" in page.headers["Content-Security-Policy"]

    with DIRECT.open(http_server + url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert response.read() == logo


def test_only_files_under_media_root_are_served(dev_files, client, tmp_path):
    (tmp_path / "secret.txt").write_text("outside MEDIA_ROOT", encoding="utf-8")
    response = client.get("/media/..%2Fsecret.txt")
    assert response.status_code in (400, 404)
    assert client.get("/media/public/logos/no-such-logo.png").status_code == 404


@pytest.mark.django_db
def test_without_serve_media_django_leaves_media_to_the_reverse_proxy(client, founder, settings, tmp_path):
    """The test settings, like production: the file is stored, Django does not answer its URL."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "public": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "public", "base_url": "/media/public/"},
        },
    }
    assert settings.SERVE_MEDIA is False
    startup = create_startup_with_logo(client, png_bytes())
    assert (tmp_path / "public" / startup.logo.name).is_file()
    assert client.get(startup.logo.url).status_code == 404
