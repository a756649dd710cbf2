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

# --- Selection ------------------------------------------------------------------------------------------------------
# A juror is told of new assignments (and of reviews to do again when the rubric changes); an applicant of an
# audition, then of the decision, all decisions of an edition at one moment.
REVIEW_ASSIGNED = register(
    Kind(
        "review.assigned",
        _("Applications are assigned to you for review"),
        # The notice's object is the challenge whose applications are assigned.
        related=("program",),
    )
)
REVIEW_REOPENED = register(
    Kind(
        "review.reopened",
        _("The selection criteria changed: a review of yours is to be scored again"),
        optional=False,
        related=("application__challenge",),
    )
)
AUDITION_INVITED = register(
    Kind(
        "selection.audition",
        _("Your startup is invited to an audition"),
        optional=False,
        related=("application__startup", "application__challenge"),
    )
)
SELECTION_DECIDED = register(
    Kind(
        "selection.decided",
        _("The jury's decision on an application of your startup"),
        optional=False,
        related=("application__startup", "application__challenge__program"),
    )
)

# --- Experimentation ------------------------------------------------------------------------------------------------
# The agreement waits for a party's signature, then is in force; deliverables are submitted, commented, due or late.
AGREEMENT_TO_SIGN = register(
    Kind(
        "experiment.agreement_to_sign",
        _("An experimentation agreement waits for your signature"),
        optional=False,
        related=("selection__startup", "selection__program"),
    )
)
AGREEMENT_IN_FORCE = register(
    Kind(
        "experiment.agreement_in_force",
        _("An experimentation agreement is signed by all three parties"),
        related=("selection__startup", "selection__program"),
    )
)
DELIVERABLE_SUBMITTED = register(
    Kind(
        "experiment.deliverable_submitted",
        _("A startup submits a deliverable of its experiment"),
        related=("selection__startup", "milestone"),
    )
)
DELIVERABLE_REVIEWED = register(
    Kind(
        "experiment.deliverable_reviewed",
        _("A deliverable of your experiment is commented, approved or sent back"),
        related=("selection__startup", "milestone"),
    )
)
DELIVERABLE_DUE = register(
    Kind(
        "experiment.deliverable_due",
        _("A deliverable of your experiment is due soon, or late"),
        # The notice's object is the milestone.
        related=("program",),
    )
)

# --- After the experiment -------------------------------------------------------------------------------------------
FOLLOW_UP_DUE = register(
    Kind(
        "experiment.follow_up",
        _("A follow-up questionnaire about your startup's experiment, months after the demo day"),
        optional=False,
        related=("selection__startup", "selection__program"),
    )
)
