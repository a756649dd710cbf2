"""Uploaded files on S3, configured exactly as production.py configures them, against moto's S3 server on 127.0.0.1.

The storage options are not copied here: production settings are loaded in a subprocess with the object-store
variables of docker-compose.yml pointing at the moto server, and their STORAGES["default"] is used as it is. The
credentials come from the environment, as in the containers. Every socket of this process may only reach 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import yaml
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from moto.server import ThreadedMotoServer

BASE_DIR = Path(__file__).resolve().parent.parent
REGION = "us-east-1"  # the region docker-compose.yml gives the application
ACCESS_KEY = "datacity-test"
SECRET_KEY = "moto-accepts-any-secret-" + "x" * 16
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
# A direct opener: a proxy configured on the machine must not receive the signed URLs.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def aws_environment():
    """Dummy credentials and no shared config, profile, endpoint override or proxy: boto3 only talks to moto."""
    with pytest.MonkeyPatch.context() as patch:
        for name in (*PROXY_VARIABLES, "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        patch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield


@pytest.fixture(scope="module")
def s3_endpoint(aws_environment):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3_client(s3_endpoint):
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)


@pytest.fixture(scope="module")
def bucket(s3_client):
    name = f"datacity-test-{secrets.token_hex(4)}"
    s3_client.create_bucket(Bucket=name)
    return name


def production_environment(**overrides: str) -> dict[str, str]:
    """A clean environment in which production settings load; nothing of this process's environment leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SECRET_KEY": secrets.token_urlsafe(45),
        "ALLOWED_HOSTS": "datacity.example.org",
        "DATABASE_URL": "postgres://datacity@db.invalid:5432/datacity",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        **overrides,
    }


@pytest.fixture(scope="module")
def production_default_storage(s3_endpoint, bucket):
    """STORAGES["default"] as production.py builds it from the environment docker-compose.yml sets."""
    code = "import json; from datacity.settings import production; print(json.dumps(production.STORAGES['default']))"
    env = production_environment(
        AWS_STORAGE_BUCKET_NAME=bucket, AWS_S3_ENDPOINT_URL=s3_endpoint, AWS_S3_REGION_NAME=REGION
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch):
    """Fail any name lookup or connection of this process that would leave 127.0.0.1."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(host) -> None:
        if isinstance(host, bytes):
            host = host.decode()
        if host not in LOOPBACK:
            raise AssertionError(f"network access outside 127.0.0.1: {host!r}")

    def getaddrinfo(host, *args, **kwargs):
        check(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address[0])
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address[0])
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def s3_storage(settings, production_default_storage):
    # Django drops the cached default storage when STORAGES changes (setting_changed).
    settings.STORAGES = {**settings.STORAGES, "default": production_default_storage}
    storage = storages["default"]
    assert type(storage).__module__ + "." + type(storage).__name__ == "storages.backends.s3.S3Storage"
    return storage


def read_object(s3_client, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_no_connection_can_leave_loopback():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        with pytest.raises(AssertionError, match=r"outside 127\.0\.0\.1"):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: nothing would answer anyway
    with pytest.raises(AssertionError, match=r"outside 127\.0\.0\.1"):
        socket.getaddrinfo("s3.amazonaws.com", 443)


def test_production_puts_uploads_in_a_private_bucket_with_signed_urls(production_default_storage, bucket, s3_endpoint):
    assert production_default_storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = production_default_storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (bucket, s3_endpoint, REGION)
    assert options["file_overwrite"] is False
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert 0 < options["querystring_expire"] <= 300
    assert not options.get("custom_domain"), "a custom domain makes django-storages hand out unsigned URLs"


def test_saving_under_an_existing_name_keeps_both_files(s3_storage, s3_client, bucket):
    first = s3_storage.save("logos/kezakoo.txt", ContentFile(b"first version"))
    second = s3_storage.save("logos/kezakoo.txt", ContentFile(b"second version"))
    assert first == "logos/kezakoo.txt"
    assert second != first
    assert second.startswith("logos/kezakoo")
    assert second.endswith(".txt")
    assert read_object(s3_client, bucket, first) == b"first version"
    assert read_object(s3_client, bucket, second) == b"second version"
    with s3_storage.open(first) as stored:
        assert stored.read() == b"first version"


def test_stored_objects_grant_nothing_to_the_public(s3_storage, s3_client, bucket):
    name = s3_storage.save("deliverables/report.pdf", ContentFile(b"%PDF-1.7 restricted"))
    grants = s3_client.get_object_acl(Bucket=bucket, Key=name)["Grants"]
    public = [grant for grant in grants if "URI" in grant["Grantee"]]  # AllUsers / AuthenticatedUsers groups
    assert grants, "the object has no owner grant at all"
    assert not public, grants


def test_url_is_signed_short_lived_and_serves_the_bytes(s3_storage):
    payload = b"restricted dataset row 1\nrow 2\n"
    name = s3_storage.save("datasets/restricted.csv", ContentFile(payload))
    url = s3_storage.url(name)
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert parts.hostname == "127.0.0.1"
    if "X-Amz-Signature" in query:  # signature version 4
        assert int(query["X-Amz-Expires"]) <= 300
    else:  # signature version 2, botocore's default for us-east-1 presigned URLs
        assert query.get("Signature"), url
        assert 0 < int(query["Expires"]) - time.time() <= 300 + 5
    with DIRECT.open(url, timeout=10) as response:
        assert response.status == 200
        assert response.read() == payload


def test_delete_removes_the_object(s3_storage, s3_client, bucket):
    name = s3_storage.save("prototypes/demo.bin", ContentFile(b"\x00\x01\x02"))
    url = s3_storage.url(name)
    assert s3_storage.exists(name)
    s3_storage.delete(name)
    assert not s3_storage.exists(name)
    assert s3_client.list_objects_v2(Bucket=bucket, Prefix=name).get("KeyCount") == 0
    with pytest.raises(urllib.error.HTTPError) as error:
        DIRECT.open(url, timeout=10)
    error.value.close()  # the error carries the open response
    assert error.value.code == 404


def test_compose_bucket_init_creates_the_bucket_once(s3_endpoint, s3_client):
    """The one-shot `objectstore-init` service of docker-compose.yml, run twice against the moto server."""
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    argv = compose["services"]["objectstore-init"]["command"]
    assert argv[:2] == ["python", "-c"]
    name = f"datacity-init-{secrets.token_hex(4)}"
    env = production_environment(
        AWS_STORAGE_BUCKET_NAME=name,
        AWS_S3_ENDPOINT_URL=s3_endpoint,
        AWS_S3_REGION_NAME=REGION,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    outputs = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, *argv[1:]], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.strip())
    assert outputs == [f"bucket {name} created", f"bucket {name} exists"]
    assert name in {entry["Name"] for entry in s3_client.list_buckets()["Buckets"]}
