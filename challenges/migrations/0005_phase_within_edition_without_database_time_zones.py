"""The database's check that a phase lies within its edition no longer reads the database's time zone data.

PostgreSQL servers do not all carry the same time zone rules as Python's zoneinfo (an embedded server was seen
reading Africa/Casablanca as UTC all year), and Morocco's rules change often. The exact check, in the edition's
time zone, is the forms' (zoneinfo, like the rest of the platform); the database keeps a backstop that needs no
time zone data: a phase may not start before the edition's first day or end after its last day by more than the
widest offset from UTC (14 hours), which still refuses a phase dated in the wrong month or year.
"""

from django.db import migrations

CHECK_FUNCTION = """
CREATE OR REPLACE FUNCTION challenges_phase_within_edition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    outside record;
BEGIN
    IF TG_TABLE_NAME = 'challenges_phase' THEN
        SELECT phase.id, phase.title, program.name AS edition INTO outside
        FROM challenges_phase phase JOIN challenges_program program ON program.id = phase.program_id
        WHERE phase.id = NEW.id AND (
            phase.starts_at < (program.starts_on::timestamp AT TIME ZONE 'UTC') - interval '14 hours'
            OR phase.ends_at > ((program.ends_on + 1)::timestamp AT TIME ZONE 'UTC') + interval '14 hours'
        );
    ELSE
        SELECT phase.id, phase.title, program.name AS edition INTO outside
        FROM challenges_phase phase JOIN challenges_program program ON program.id = phase.program_id
        WHERE program.id = NEW.id AND (
            phase.starts_at < (program.starts_on::timestamp AT TIME ZONE 'UTC') - interval '14 hours'
            OR phase.ends_at > ((program.ends_on + 1)::timestamp AT TIME ZONE 'UTC') + interval '14 hours'
        )
        LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'Phase % (%) falls outside the dates of its edition (%).', outside.id, outside.title,
            outside.edition
            USING ERRCODE = 'check_violation', CONSTRAINT = 'challenges_phase_within_edition';
    END IF;
    RETURN NULL;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("challenges", "0004_phase_within_edition")]

    # Going back restores the previous function with the migration that created it.
    operations = [migrations.RunSQL(CHECK_FUNCTION, migrations.RunSQL.noop)]
