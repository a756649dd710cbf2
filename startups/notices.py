"""The notices of applications: the confirmation of a submission, and what staff decide about it."""

from django.utils.translation import gettext_lazy as _

from datacity.notifications.kinds import Kind, register

APPLICATION_SUBMITTED = register(
    Kind(
        "application.submitted",
        _("Confirmation of an application you submitted"),
        optional=False,
        related=("startup", "challenge__program"),
    )
)
APPLICATION_WITHDRAWN = register(
    Kind("application.withdrawn", _("An application of your startup is withdrawn"), related=("startup", "challenge"))
)
APPLICATION_STATUS = register(
    Kind(
        "application.status",
        _("The program team reviews an application of your startup"),
        related=("startup", "challenge"),
    )
)
APPLICATION_EXTENDED = register(
    Kind(
        "application.extended",
        _("The deadline is extended for an application of your startup"),
        optional=False,
        related=("startup", "challenge"),
    )
)
DRAFT_REMINDER = register(
    Kind(
        "reminder.application_draft",
        _("Reminders to submit a draft application before the deadline"),
        related=("program",),
    )
)
