"""The notices of the program clock (see challenges.clock); templates in templates/notifications/phase_*."""

from django.utils.translation import gettext_lazy as _

from datacity.notifications.kinds import Kind, register

# The notices of openings and closings are about the transition; the others about the phase itself.
PHASE_OPENED = register(
    Kind("phase.opened", _("A phase of an edition you take part in opens"), related=("phase__program",))
)
PHASE_CLOSED = register(
    Kind("phase.closed", _("A phase of an edition you take part in closes"), related=("phase__program",))
)
PHASE_RESCHEDULED = register(
    Kind("phase.rescheduled", _("The dates of a phase you were told about change"), related=("program",))
)
CHALLENGE_DEFINITION_REMINDER = register(
    Kind(
        "reminder.challenge_definition",
        _("Reminders to propose a challenge before the deadline"),
        related=("program",),
    )
)
