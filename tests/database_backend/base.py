"""PostgreSQL as in production, except for one thing: the flush between transactional tests may empty the audit log.

The database refuses TRUNCATE on the audit log (a statement trigger, audit migration 0004), and Django's flush
truncates every table at once. Here the flush switches the log's triggers off, truncates, and switches them back on,
all in the flush's own transaction: no other session ever sees the log unguarded. Only the test settings use this.
"""

from django.db.backends.postgresql import base, operations

AUDIT_TABLE = "audit_auditentry"


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if AUDIT_TABLE not in tables:
            return statements
        table = self.quote_name(AUDIT_TABLE)
        return [
            f"ALTER TABLE {table} DISABLE TRIGGER USER;",
            *statements,
            f"ALTER TABLE {table} ENABLE TRIGGER USER;",
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
