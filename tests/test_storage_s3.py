"""Uploaded files on S3, configured exactly as production.py configures them, against moto's S3 server on 127.0.0.1.

The storage options are not copied here: production settings are loaded in a subprocess with the object-store
variables of docker-compose.yml pointing at the moto server, and their STORAGES and Content-Security-Policy are used
as they are. The application reaches the store at http://127.0.0.1:PORT (like http://objectstore:8333 in compose)
and browsers at http://localhost:PORT (the public endpoint): URLs handed out must use the latter. The credentials
come from the environment, as in the containers. Every socket of this process may only reach 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import yaml
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from PIL import Image
from storages.backends.s3 import S3Storage

from datacity.core.storage import allow_public_reads
from startups.models import Startup
from tests.factories import UserFactory

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


def production_settings(**environment: str) -> dict:
    """STORAGES, CONTENT_SECURITY_POLICY and AWS_S3_PUBLIC_URL of production settings loaded with `environment`."""
    names = ("STORAGES", "CONTENT_SECURITY_POLICY", "AWS_S3_PUBLIC_URL")
    code = (
        "import json; from datacity.settings import production as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {names!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=production_environment(**environment),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def public_endpoint(s3_endpoint) -> str:
    """The same moto server under another name: the address browsers use, distinct from the application's."""
    return s3_endpoint.replace("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def production_files(s3_endpoint, public_endpoint, bucket) -> dict:
    """Production's file settings from the environment docker-compose.yml sets (S3_PUBLIC_URL left empty)."""
    return production_settings(
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=s3_endpoint,
        AWS_S3_PUBLIC_ENDPOINT_URL=public_endpoint,
        AWS_S3_PUBLIC_URL="",
        AWS_S3_REGION_NAME=REGION,
    )


@pytest.fixture(scope="module")
def production_default_storage(production_files):
    """STORAGES["default"] as production.py builds it."""
    return production_files["STORAGES"]["default"]


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
def s3_storage(settings, production_files):
    # Django drops the cached storages when STORAGES changes (setting_changed), datacity.core.storage its own.
    production = production_files["STORAGES"]
    settings.STORAGES = {**settings.STORAGES, "default": production["default"], "public": production["public"]}
    storage = storages["default"]
    assert type(storage).__module__ + "." + type(storage).__name__ == "datacity.core.storage.S3Storage"
    assert isinstance(storage, S3Storage)
    return storage


def png_bytes() -> bytes:
    """A real, small PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 40, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def csp_directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: sources}."""
    directives = {}
    for part in header.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name] = sources
    return directives


def anonymous_status(url: str) -> int:
    """The HTTP status of an unsigned GET of `url`, as a browser without credentials gets it."""
    try:
        with DIRECT.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def read_object(s3_client, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_no_connection_can_leave_loopback():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        with pytest.raises(AssertionError, match=r"outside 127\.0\.0\.1"):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: nothing would answer anyway
    with pytest.raises(AssertionError, match=r"outside 127\.0\.0\.1"):
        socket.getaddrinfo("s3.amazonaws.com", 443)


def test_production_puts_uploads_in_a_private_bucket_with_signed_urls(
    production_default_storage, bucket, s3_endpoint, public_endpoint
):
    assert production_default_storage["BACKEND"] == "datacity.core.storage.S3Storage"
    options = production_default_storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (bucket, s3_endpoint, REGION)
    assert options["public_endpoint_url"] == public_endpoint
    assert options["file_overwrite"] is False
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert 0 < options["querystring_expire"] <= 300
    assert not options.get("custom_domain"), "a custom domain makes django-storages hand out unsigned URLs"
    assert not options.get("location"), "private keys must never fall under the public prefix"


def test_production_puts_public_files_under_a_prefix_with_plain_urls_on_the_public_base(
    production_files, bucket, s3_endpoint, public_endpoint
):
    public = production_files["STORAGES"]["public"]
    assert public["BACKEND"] == "storages.backends.s3.S3Storage"
    options = public["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"]) == (bucket, s3_endpoint)
    assert options["location"] == "public"
    assert options["querystring_auth"] is False
    assert options["default_acl"] is None
    assert options["file_overwrite"] is False
    assert production_files["AWS_S3_PUBLIC_URL"] == f"{public_endpoint}/{bucket}"
    assert f"{options['url_protocol']}//{options['custom_domain']}" == f"{public_endpoint}/{bucket}"
    assert "public" in options["object_parameters"]["CacheControl"]
    img_src = production_files["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]
    assert img_src == ["'self'", "data:", "https://tile.openstreetmap.org", public_endpoint]


@pytest.mark.parametrize(
    ("environment", "public_url", "origin"),
    [
        # A CDN (or any proxy) in front of the bucket, with a path.
        (
            {"AWS_S3_ENDPOINT_URL": "http://objectstore:8333", "AWS_S3_PUBLIC_URL": "https://cdn.example.org/files/"},
            "https://cdn.example.org/files",
            "https://cdn.example.org",
        ),
        # No public endpoint: the application's endpoint is the browsers' too.
        (
            {"AWS_S3_ENDPOINT_URL": "https://s3.example.net"},
            "https://s3.example.net/datacity-files",
            "https://s3.example.net",
        ),
        # AWS itself.
        (
            {"AWS_S3_REGION_NAME": "eu-west-3"},
            "https://datacity-files.s3.eu-west-3.amazonaws.com",
            "https://datacity-files.s3.eu-west-3.amazonaws.com",
        ),
    ],
    ids=["explicit", "endpoint", "aws"],
)
def test_the_public_base_url_and_the_csp_follow_the_configuration(environment, public_url, origin):
    loaded = production_settings(AWS_STORAGE_BUCKET_NAME="datacity-files", **environment)
    options = loaded["STORAGES"]["public"]["OPTIONS"]
    assert loaded["AWS_S3_PUBLIC_URL"] == public_url
    assert f"{options['url_protocol']}//{options['custom_domain']}" == public_url
    assert loaded["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == [
        "'self'",
        "data:",
        "https://tile.openstreetmap.org",
        origin,
    ]


def test_a_public_url_that_is_not_an_http_url_is_refused():
    result = subprocess.run(
        [sys.executable, "-c", "from datacity.settings import production"],
        cwd=BASE_DIR,
        env=production_environment(AWS_STORAGE_BUCKET_NAME="datacity", AWS_S3_PUBLIC_URL="files.example.org"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "AWS_S3_PUBLIC_URL must be an http(s) URL" in result.stderr


def test_without_a_bucket_files_stay_on_disk_and_the_csp_is_unchanged():
    loaded = production_settings(MEDIA_ROOT="/var/lib/datacity/media")
    assert loaded["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    public = loaded["STORAGES"]["public"]
    assert public["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert public["OPTIONS"] == {"location": "/var/lib/datacity/media/public", "base_url": "/media/public/"}
    assert loaded["AWS_S3_PUBLIC_URL"] == ""
    assert loaded["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == [
        "'self'",
        "data:",
        "https://tile.openstreetmap.org",
    ]


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


def test_url_is_signed_short_lived_for_the_public_endpoint_and_serves_the_bytes(s3_storage):
    payload = b"restricted dataset row 1\nrow 2\n"
    name = s3_storage.save("datasets/restricted.csv", ContentFile(payload))
    url = s3_storage.url(name)
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    # Made for the address browsers use, not for the application's own (http://objectstore:8333 in compose).
    assert parts.hostname == "localhost"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query.get("X-Amz-Signature"), url
    assert 0 < int(query["X-Amz-Expires"]) <= 300
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


@pytest.mark.django_db
def test_a_logo_uploaded_through_the_page_is_public_at_the_public_url_and_allowed_by_the_csp(
    s3_storage, production_files, settings, client, s3_client, bucket
):
    settings.CONTENT_SECURITY_POLICY = production_files["CONTENT_SECURITY_POLICY"]
    s3_client.delete_bucket_policy(Bucket=bucket)  # as objectstore-init leaves the bucket
    client.force_login(UserFactory.create(verified_email=True))
    logo = png_bytes()
    upload = SimpleUploadedFile("notre logo.png", logo, content_type="image/png")
    data = {"name": "Kezakoo", "pitch_fr": "Des supports de formation.", "sector": "education", "logo": upload}
    response = client.post("/startups/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    startup = Startup.objects.get(name="Kezakoo")

    # Stored in the bucket, under the public prefix, with no ACL of its own.
    assert startup.logo.name.startswith("logos/")
    key = f"public/{startup.logo.name}"
    assert read_object(s3_client, bucket, key) == logo
    assert not [
        grant for grant in s3_client.get_object_acl(Bucket=bucket, Key=key)["Grants"] if "URI" in grant["Grantee"]
    ]

    # A plain URL on the public base: nothing signed, nothing that expires.
    url = startup.logo.url
    assert url == f"{production_files['AWS_S3_PUBLIC_URL']}/{key}"
    assert not urlsplit(url).query
    # Anyone may read it once the operator has put the bucket policy (README, "Deploy"), not before.
    assert anonymous_status(url) == 403
    allow_public_reads()
    with DIRECT.open(url, timeout=10) as fetched:
        assert fetched.status == 200
        assert fetched.headers["Content-Type"] == "image/png"
        assert fetched.read() == logo

    page = client.get(f"/startups/{startup.slug}/")
    assert page.status_code == 200
    assert f'src="{url}"' in page.content.decode()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" in csp_directives(page.headers["Content-Security-Policy"])["img-src"]


def test_the_bucket_policy_lets_anyone_read_the_public_prefix_only(
    s3_storage, s3_client, bucket, production_files, public_endpoint
):
    policy = allow_public_reads()
    [statement] = policy["Statement"]
    assert statement == {
        "Sid": "PublicFilesReadableByAnyone",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/public/*",
    }
    assert json.loads(s3_client.get_bucket_policy(Bucket=bucket)["Policy"]) == policy

    public = storages["public"].save("logos/2026/lydec.png", ContentFile(png_bytes()))
    assert anonymous_status(storages["public"].url(public)) == 200
    private = s3_storage.save("deliverables/pitch-deck.pdf", ContentFile(b"%PDF-1.7 restricted"))
    assert anonymous_status(f"{public_endpoint}/{bucket}/{private}") == 403
    with DIRECT.open(s3_storage.url(private), timeout=10) as signed:
        assert signed.status == 200


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
