"""Backups that restore: `manage.py backup` then `manage.py restore` into a new, empty database and fresh storages,
on the real PostgreSQL server, and everything found again (rows, the audit log, the files' bytes)."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connections
from PIL import Image
from psycopg2 import sql

from datacity.audit.context import system_context
from datacity.audit.services import record
from datacity.core import backups
from datasets.distributions import distribution_add
from tests.factories import ChallengeFactory, DatasetFactory, PartnerFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSV = "ligne;montées\nT1;1200\nT2;830\n".encode()


def local_storages(root: Path) -> dict:
    """The storages of base settings, on local disk under `root` (the test settings keep files in memory)."""
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": root}},
        "public": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root / "public", "base_url": "/media/public/"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def server_connection(dbname: str = "postgres"):
    params = connections["default"].get_connection_params()
    params["dbname"] = dbname
    params.pop("database", None)
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    return connection


@pytest.fixture
def new_database() -> Iterator:
    """Makes empty databases on the test server (named after the test database) and drops them at the end."""
    made: list[str] = []

    def make() -> str:
        name = f"{connections['default'].settings_dict['NAME']}_restore{len(made)}"
        with contextlib.closing(server_connection()) as server, server.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        return name

    yield make
    with contextlib.closing(server_connection()) as server, server.cursor() as cursor:
        for name in made:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def default_database(name: str) -> Iterator[None]:
    """Point Django's default connection at database `name` for the block, as a deployment's DATABASE_URL would."""
    connection = connections["default"]
    connection.close()
    previous = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = previous


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def populate() -> None:
    """A few rows of several apps, a file in each storage, audit entries."""
    partner = PartnerFactory.create()
    partner.logo.save("logo.png", ContentFile(png()))  # the public storage
    ChallengeFactory.create(owner=partner)
    StartupFactory.create()
    dataset = DatasetFactory.create(owner=partner)
    upload = SimpleUploadedFile("ridership.csv", CSV, content_type="text/csv")
    distribution_add(dataset=dataset, upload=upload, change_note="March", actor=UserFactory.create())  # default
    with system_context("test"):
        record(action="test.populated", obj=partner, note="ذكرى")


def table_counts(dbname: str) -> dict[str, int]:
    with contextlib.closing(server_connection(dbname)) as database, database.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            counts[table] = cursor.fetchone()[0]
    return counts


def audit_rows(dbname: str) -> list[tuple]:
    """Every audit entry, whole, but the entries the backup and the restore write about themselves."""
    with contextlib.closing(server_connection(dbname)) as database, database.cursor() as cursor:
        cursor.execute(
            "SELECT id, at, actor_id, actor_email, action, object_type_id, object_id, object_repr, ip_address,"
            " request_id, details::text FROM audit_auditentry"
            " WHERE action NOT IN ('backup.created', 'backup.restored') ORDER BY id"
        )
        return cursor.fetchall()


def audit_triggers(dbname: str) -> list[str]:
    with contextlib.closing(server_connection(dbname)) as database, database.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass AND NOT tgisinternal ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def files_under(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_backup_restores_into_an_empty_database_and_fresh_storages(settings, tmp_path, new_database):
    source_media, target_media, folder = tmp_path / "media", tmp_path / "restored-media", tmp_path / "backup"
    settings.STORAGES = local_storages(source_media)
    populate()
    source = connections["default"].settings_dict["NAME"]

    call_command("backup", output=folder)

    manifest = backups.read_manifest(folder)
    source_files = files_under(source_media)
    assert len(source_files) == 2  # the logo (public/...) and the dataset's file
    assert manifest["files"]["count"] == 2  # each file once, though public/ lies inside the default storage's folder
    assert {entry["storage"] for entry in manifest["files"]["entries"]} == {"default", "public"}
    assert manifest["files"]["bytes"] == sum(len(content) for content in source_files.values())
    assert manifest["migrations"]["apps"]["audit"]["latest"] == "0004_refuse_truncate"
    source_counts = table_counts(source)
    source_audit = audit_rows(source)
    assert len(source_audit) >= 2

    target = new_database()
    settings.STORAGES = local_storages(target_media)
    with default_database(target):
        call_command("restore", input=folder)

    restored_counts = table_counts(target)
    # Each side has one entry more than the other: the backup's own (in the source) and the restore's (restored).
    assert restored_counts == source_counts
    assert audit_rows(target) == source_audit
    assert audit_triggers(target) == ["audit_entry_append_only", "audit_entry_no_truncate"]
    with contextlib.closing(server_connection(target)) as database, database.cursor() as cursor:
        cursor.execute("SELECT details->>'manifest_sha256' FROM audit_auditentry WHERE action = 'backup.restored'")
        assert cursor.fetchall() == [(backups.sha256_of_path(folder / backups.MANIFEST_NAME),)]
        # The restored log is append-only again.
        with pytest.raises(psycopg2.errors.RaiseException):
            cursor.execute("DELETE FROM audit_auditentry")
    assert files_under(target_media) == source_files

    # The restored database is no longer empty: a second restore is refused and changes nothing.
    with default_database(target), pytest.raises(CommandError, match=target):
        call_command("restore", input=folder)
    assert table_counts(target) == restored_counts


def test_restore_refuses_a_damaged_backup_naming_the_file(settings, tmp_path, new_database):
    settings.STORAGES = local_storages(tmp_path / "media")
    populate()
    call_command("backup", output=tmp_path / "backup")
    entry = next(entry for entry in backups.file_entries(backups.read_manifest(tmp_path / "backup")))
    damaged = entry.path_in(tmp_path / "backup")
    content = bytearray(damaged.read_bytes())
    content[len(content) // 2] ^= 0x01
    damaged.write_bytes(bytes(content))

    target = new_database()
    settings.STORAGES = local_storages(tmp_path / "restored-media")
    with default_database(target), pytest.raises(CommandError) as refused:
        call_command("restore", input=tmp_path / "backup")
    assert str(damaged) in str(refused.value)
    # Nothing was restored: no table, no file.
    assert table_counts(target) == {}
    assert not (tmp_path / "restored-media").exists() or files_under(tmp_path / "restored-media") == {}


def test_backup_refuses_a_folder_that_holds_something(settings, tmp_path):
    settings.STORAGES = local_storages(tmp_path / "media")
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "older.dump").write_bytes(b"x")
    with pytest.raises(CommandError, match=re.escape(str(tmp_path / "backup"))):
        call_command("backup", output=tmp_path / "backup")
    assert sorted(path.name for path in (tmp_path / "backup").iterdir()) == ["older.dump"]
