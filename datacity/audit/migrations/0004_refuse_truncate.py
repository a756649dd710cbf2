"""The database refuses to empty the audit log with TRUNCATE too: row triggers (0002) do not fire on it, a statement
trigger does. The function of 0002 serves both (it names the refused operation)."""

from django.db import migrations

FORWARD = """
CREATE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
"""

BACKWARD = "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;"


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_request_id")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
