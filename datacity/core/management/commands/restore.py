"""`manage.py restore --input DIR`: put back a backup made by `manage.py backup`, after checking all of it.

Into an empty database (one without tables) and storages that do not hold other files under the same names;
`--force` is the explicit exception. Nothing is changed before every checksum of the backup has been verified.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from datacity.audit.context import system_context
from datacity.audit.receivers import grant_app_role
from datacity.audit.services import record
from datacity.core import backups

logger = logging.getLogger("datacity.backups")


class Command(BaseCommand):
    help = "Restore a backup folder (database and stored files) into an empty database, verifying its checksums."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="the backup folder (holding manifest.json)")
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "restore even though the database has tables (the backup's objects are dropped and recreated), "
                "replace stored files that differ, and accept migrations this code does not know"
            ),
        )

    def handle(self, *args: Any, input: Path, force: bool, **options: Any) -> None:
        try:
            manifest = self.restore(input.resolve(), force=force)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        summary = (
            f"Restored {input} (made {manifest['created_at']}) into database "
            f"{connections['default'].settings_dict['NAME']}: {manifest['files']['count']} files."
        )
        logger.info(summary)
        self.stdout.write(summary)

    def restore(self, folder: Path, *, force: bool) -> dict[str, Any]:
        manifest = backups.read_manifest(folder)
        entries = backups.file_entries(manifest)
        self.verify_backup(folder, manifest, entries)
        major, version = backups.server_version()
        if manifest["database"]["server_major"] > major:
            raise backups.BackupError(
                f"The backup comes from PostgreSQL {manifest['database']['server_version']}, newer than this server "
                f"({version}): restore it into a server of version {manifest['database']['server_major']} or later."
            )
        pg_restore = backups.find_tool("pg_restore", major)
        self.check_backup_migrations(manifest, force=force)
        relations = backups.user_relations()
        if relations and not force:
            shown = ", ".join(relations[:5]) + (" ..." if len(relations) > 5 else "")
            raise backups.BackupError(
                f"The database {connections['default'].settings_dict['NAME']} is not empty ({len(relations)} tables, "
                f"views or sequences: {shown}). Restore into a new, empty database; --force drops and recreates "
                "the backup's tables in this one."
            )
        to_upload = self.files_to_restore(entries, force=force)

        logger.info("restore: restoring database from %s with %s", folder, pg_restore)
        connections["default"].close()  # pg_restore has the database to itself; Django reconnects afterwards
        # One transaction: a failure leaves the database as it was. --clean (forced) drops the backup's objects first.
        argv = [str(pg_restore), "--no-password", "--no-owner", "--no-privileges", "--single-transaction"]
        argv += ["--clean", "--if-exists"] if relations else []
        backups.run_tool(
            [*argv, "--dbname", connections["default"].settings_dict["NAME"], str(folder / backups.DUMP_NAME)]
        )
        if settings.DATABASE_APP_ROLE:
            # The owner restored the tables (--no-owner); the application's role gets what `migrate` gives it.
            grant_app_role(role=settings.DATABASE_APP_ROLE)

        with tempfile.TemporaryDirectory() as scratch:
            for entry in to_upload:
                storage = storages[entry.storage]
                if storage.exists(entry.name):
                    storage.delete(entry.name)  # forced: a different file stood under this name
                backups.upload(storage, entry.name, entry.path_in(folder))
                # What the storage now gives back must be what was backed up.
                if backups.stored_sha256(storage, entry.name, Path(scratch) / "check") != entry.sha256:
                    raise backups.BackupError(f"{entry.storage}/{entry.name}: the stored copy differs after upload.")
        logger.info("restore: %s files restored, %s already in place", len(to_upload), len(entries) - len(to_upload))

        with system_context("restore"):
            record(
                action="backup.restored",
                created_at=manifest["created_at"],
                database=manifest["database"]["name"],
                files=len(entries),
                manifest_sha256=backups.sha256_of_path(folder / backups.MANIFEST_NAME),
                forced=force,
            )
        return manifest

    def verify_backup(self, folder: Path, manifest: dict[str, Any], entries: list[backups.FileEntry]) -> None:
        """Every file of the backup present, of its size and SHA-256; all the bad ones named at once."""
        problems = []
        checks = [(folder / backups.DUMP_NAME, manifest["database"]["bytes"], manifest["database"]["sha256"])]
        checks += [(entry.path_in(folder), entry.bytes, entry.sha256) for entry in entries]
        for path, size, digest in checks:
            if not path.is_file():
                problems.append(f"{path} is missing")
            elif path.stat().st_size != size or backups.sha256_of_path(path) != digest:
                problems.append(f"{path} does not match its checksum in the manifest")
        if problems:
            raise backups.BackupError("The backup is damaged, nothing was restored: " + "; ".join(problems))

    def check_backup_migrations(self, manifest: dict[str, Any], *, force: bool) -> None:
        """The code must know every migration the backup's database had: older code would misread its tables."""
        known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        unknown = [
            f"{app}.{name}"
            for app, names in manifest["migrations"]["applied"].items()
            for name in names
            if (app, name) not in known
        ]
        if unknown and not force:
            raise backups.BackupError(
                f"The backup has migrations this code does not have ({', '.join(unknown[:5])}): restore it with the "
                "version of the platform that made it, or a later one."
            )

    def files_to_restore(self, entries: list[backups.FileEntry], *, force: bool) -> list[backups.FileEntry]:
        """The entries not already in their storage with the same bytes; another file under one of the names is
        refused unless forced."""
        pending, clashes = [], []
        with tempfile.TemporaryDirectory() as scratch:
            for entry in entries:
                storage = storages[entry.storage]
                if not storage.exists(entry.name):
                    pending.append(entry)
                elif backups.stored_sha256(storage, entry.name, Path(scratch) / "check") != entry.sha256:
                    clashes.append(entry)
        if clashes and not force:
            names = ", ".join(f"{entry.storage}/{entry.name}" for entry in clashes[:5])
            raise backups.BackupError(
                f"{len(clashes)} stored files differ from the backup's under the same name ({names}); "
                "--force replaces them."
            )
        return pending + clashes
