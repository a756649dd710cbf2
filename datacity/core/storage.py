"""Where uploaded files live: the "public" storage (logos, shown to anyone) and signed URLs browsers can follow.

Two storage aliases (settings.STORAGES): "default" keeps private files, reached through short-lived signed URLs on
S3; "public" keeps what public pages show, under a prefix anyone may read, with plain, cacheable URLs.
"""

from __future__ import annotations

import json
import threading
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from storages.backends import s3
from storages.utils import clean_name

PUBLIC_STORAGE_ALIAS = "public"


class PublicStorage(LazyObject):
    """storages["public"], looked up on first use (and again after STORAGES changes), like Django's default_storage."""

    def _setup(self) -> None:
        self._wrapped = storages[PUBLIC_STORAGE_ALIAS]


_public_storage = PublicStorage()


def public_storage() -> Storage:
    """The storage of public files, for `FileField(storage=public_storage)`: migrations name this callable only."""
    return cast(Storage, _public_storage)


@receiver(setting_changed)
def _forget_public_storage(*, setting: str, **kwargs: Any) -> None:
    """Follow a change of STORAGES (tests), as Django does for default_storage."""
    if setting == "STORAGES":
        _public_storage._wrapped = empty  # type: ignore[assignment]  # LazyObject's "not set up" marker


class S3Storage(s3.S3Storage):
    """django-storages' S3 storage whose signed URLs can use another endpoint than the application's requests.

    The application reaches the object store at `endpoint_url` (inside docker-compose: http://objectstore:8333),
    browsers at `public_endpoint_url` (e.g. https://files.example.org, proxied to the same store with the Host header
    kept as it is: the signature covers it). Signing needs no request, so the second client never connects.
    """

    def get_default_settings(self) -> dict[str, Any]:
        """django-storages' options, plus `public_endpoint_url` (None: sign for `endpoint_url`)."""
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def __init__(self, **settings: Any) -> None:
        """django-storages' set-up, plus a per-thread place for the signing client."""
        super().__init__(**settings)
        self._public_clients = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without clients, as django-storages does for its own."""
        state = super().__getstate__()
        state.pop("_public_clients", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled with a fresh per-thread place for the signing client."""
        super().__setstate__(state)
        self._public_clients = threading.local()

    @property
    def public_client(self) -> Any:
        """A client configured for the public endpoint, used only to sign URLs (one per thread, like the others)."""
        client = getattr(self._public_clients, "client", None)
        if client is None:
            client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                use_ssl=self.use_ssl,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
                verify=self.verify,
            )
            self._public_clients.client = client
        return client

    def url(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        """A URL signed for the public endpoint when there is one; django-storages' URL otherwise."""
        if not self.public_endpoint_url or self.custom_domain or not self.querystring_auth:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": self._normalize_name(clean_name(name))}
        return self.public_client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )


def public_read_policy(bucket: str, prefix: str) -> dict[str, Any]:
    """The bucket policy letting anyone read (only read, and only) the objects under `prefix`."""
    if not prefix.strip("/"):
        raise ImproperlyConfigured("The public storage needs a prefix: a policy on the whole bucket would expose it.")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicFilesReadableByAnyone",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/{prefix.strip('/')}/*",
            }
        ],
    }


def allow_public_reads() -> dict[str, Any]:
    """Put the public storage's read policy on its bucket (replacing any policy the bucket had) and return it."""
    storage = storages[PUBLIC_STORAGE_ALIAS]
    if not isinstance(storage, s3.S3Storage):
        raise ImproperlyConfigured("The public storage is not on S3: the reverse proxy serves its files.")
    policy = public_read_policy(storage.bucket_name, storage.location)
    storage.connection.meta.client.put_bucket_policy(Bucket=storage.bucket_name, Policy=json.dumps(policy))
    return policy
