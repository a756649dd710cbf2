"""A phase falls within its edition's dates, in the database too; an overlap error names the phase it clashes with.

A CHECK constraint cannot read another table, so constraint triggers do it, on both sides: a phase written outside
its edition, and an edition whose dates (or time zone) move away from one of its phases. Both are deferred to the
end of the transaction, so that an edition and its phases can be moved together, and read the rows as they are
then. The edition's first instant is its first day at midnight in its time zone; its phases end by the midnight
that follows its last day. Rows already in the table are not checked until they change.
"""

import challenges.models
import django.contrib.postgres.constraints
from django.db import migrations

CHECK_FUNCTION = """
CREATE FUNCTION challenges_phase_within_edition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    outside record;
BEGIN
    IF TG_TABLE_NAME = 'challenges_phase' THEN
        SELECT phase.id, phase.title, program.name AS edition INTO outside
        FROM challenges_phase phase JOIN challenges_program program ON program.id = phase.program_id
        WHERE phase.id = NEW.id AND (
            phase.starts_at < program.starts_on::timestamp AT TIME ZONE program.time_zone
            OR phase.ends_at > (program.ends_on + 1)::timestamp AT TIME ZONE program.time_zone
        );
    ELSE
        SELECT phase.id, phase.title, program.name AS edition INTO outside
        FROM challenges_phase phase JOIN challenges_program program ON program.id = phase.program_id
        WHERE program.id = NEW.id AND (
            phase.starts_at < program.starts_on::timestamp AT TIME ZONE program.time_zone
            OR phase.ends_at > (program.ends_on + 1)::timestamp AT TIME ZONE program.time_zone
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

CREATE CONSTRAINT TRIGGER challenges_phase_within_edition
    AFTER INSERT OR UPDATE OF program_id, starts_at, ends_at ON challenges_phase
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION challenges_phase_within_edition();

CREATE CONSTRAINT TRIGGER challenges_program_holds_its_phases
    AFTER UPDATE OF starts_on, ends_on, time_zone ON challenges_program
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (
        OLD.starts_on IS DISTINCT FROM NEW.starts_on
        OR OLD.ends_on IS DISTINCT FROM NEW.ends_on
        OR OLD.time_zone IS DISTINCT FROM NEW.time_zone
    )
    EXECUTE FUNCTION challenges_phase_within_edition();
"""

DROP_CHECK_FUNCTION = """
DROP TRIGGER challenges_program_holds_its_phases ON challenges_program;
DROP TRIGGER challenges_phase_within_edition ON challenges_phase;
DROP FUNCTION challenges_phase_within_edition();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("challenges", "0003_single_line_names"),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name="phase",
            name="challenges_phase_no_overlap",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                expressions=[(challenges.models.TsTzRange("starts_at", "ends_at"), "&&"), ("program", "=")],
                name="challenges_phase_no_overlap",
                violation_error_code="phase_overlap",
                violation_error_message="This phase overlaps another phase of the same edition.",
            ),
        ),
        migrations.RunSQL(CHECK_FUNCTION, DROP_CHECK_FUNCTION),
    ]
