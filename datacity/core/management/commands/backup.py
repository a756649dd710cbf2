"""`manage.py backup --output DIR`: the database and every stored file, with a manifest to verify them by.

What the folder holds is described in datacity.core.backups; `manage.py restore --input DIR` puts it back.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone

from datacity.audit.context import system_context
from datacity.audit.services import record
from datacity.core import backups

logger = logging.getLogger("datacity.backups")


class Command(BaseCommand):
    help = "Back up the database (pg_dump) and the stored files (default and public storages) into a new folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path, help="a new or empty folder to write the backup to")

    def handle(self, *args: Any, output: Path, **options: Any) -> None:
        try:
            manifest = self.back_up(output.resolve())
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        summary = (
            f"Backup written to {output}: database {manifest['database']['name']} "
            f"({manifest['database']['bytes']} bytes), {manifest['files']['count']} files "
            f"({manifest['files']['bytes']} bytes)."
        )
        logger.info(summary)
        self.stdout.write(summary)

    def back_up(self, folder: Path) -> dict[str, Any]:
        backups.ensure_empty_folder(folder)
        connection = connections["default"]
        major, version = backups.server_version()
        pg_dump = backups.find_tool("pg_dump", major)
        started = timezone.now()
        migrations = backups.migration_state()
        dump = folder / backups.DUMP_NAME
        logger.info("backup: dumping database %s with %s", connection.settings_dict["NAME"], pg_dump)
        # The connection's settings reach pg_dump through libpq's environment (PGHOST, PGPASSWORD...).
        backups.run_tool([str(pg_dump), "--format=custom", "--no-password", f"--file={dump}"])

        entries: list[dict[str, Any]] = []
        per_storage: dict[str, dict[str, Any]] = {}
        for alias in backups.STORAGE_ALIASES:
            storage = storages[alias]
            count = size = 0
            for name in backups.storage_files(alias):
                entry_path = folder / backups.FILES_DIR / alias / name
                backups.download(storage, name, entry_path)
                entry_bytes = entry_path.stat().st_size
                entries.append(
                    {"storage": alias, "name": name, "bytes": entry_bytes, "sha256": backups.sha256_of_path(entry_path)}
                )
                count, size = count + 1, size + entry_bytes
            per_storage[alias] = {
                "backend": f"{type(storage).__module__}.{type(storage).__qualname__}",
                "count": count,
                "bytes": size,
            }
            logger.info("backup: %s files (%s bytes) from the %s storage", count, size, alias)

        manifest: dict[str, Any] = {
            "format": backups.MANIFEST_FORMAT,
            "created_at": started.isoformat(),
            "finished_at": timezone.now().isoformat(),
            "database": {
                "name": connection.settings_dict["NAME"],
                "server_version": version,
                "server_major": major,
                "dump": backups.DUMP_NAME,
                "bytes": dump.stat().st_size,
                "sha256": backups.sha256_of_path(dump),
            },
            "migrations": {
                "apps": {app: {"count": len(names), "latest": names[-1]} for app, names in migrations.items()},
                "applied": migrations,
            },
            "files": {
                "count": len(entries),
                "bytes": sum(entry["bytes"] for entry in entries),
                "storages": per_storage,
                "entries": entries,
            },
        }
        # Written last, through a rename: a folder with a manifest is a complete backup.
        partial = folder / f"{backups.MANIFEST_NAME}.partial"
        partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial.rename(folder / backups.MANIFEST_NAME)
        # A copy of everyone's data left the platform: that is worth a line in the audit log (not in the copy).
        with system_context("backup"):
            record(
                action="backup.created",
                database=manifest["database"]["name"],
                created_at=manifest["created_at"],
                files=manifest["files"]["count"],
                bytes=manifest["database"]["bytes"] + manifest["files"]["bytes"],
                manifest_sha256=backups.sha256_of_path(folder / backups.MANIFEST_NAME),
            )
        return manifest
