"""The notices of the program clock (see challenges.clock); templates in templates/notifications/phase_*."""

from django.utils.translation import gettext_lazy as _

from datacity.notifications.kinds import Kind, register

PHASE_OPENED = register(Kind("phase.opened", _("A phase of an edition you take part in opens")))
PHASE_CLOSED = register(Kind("phase.closed", _("A phase of an edition you take part in closes")))
PHASE_RESCHEDULED = register(Kind("phase.rescheduled", _("The dates of a phase you were told about change")))
CHALLENGE_DEFINITION_REMINDER = register(
    Kind("reminder.challenge_definition", _("Reminders to propose a challenge before the deadline"))
)
