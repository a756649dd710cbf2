"""The notices of the data room: a startup asks for a restricted dataset, the partner decides or revokes."""

from django.utils.translation import gettext_lazy as _

from datacity.notifications.kinds import Kind, register

DATASET_ACCESS_REQUESTED = register(
    Kind(
        "dataset.access_requested",
        _("A startup asks for access to one of your datasets"),
        related=("dataset", "startup"),
    )
)
DATASET_ACCESS_DECIDED = register(
    Kind(
        "dataset.access_decided",
        _("A partner approves or refuses your startup's request for a dataset"),
        optional=False,
        related=("dataset__owner", "startup"),
    )
)
DATASET_ACCESS_REVOKED = register(
    Kind(
        "dataset.access_revoked",
        _("A partner revokes your startup's access to a dataset"),
        optional=False,
        related=("dataset__owner", "startup"),
    )
)
DATASET_ACCESS_TERM = register(
    Kind(
        "dataset.access_term",
        _("Your startup's access to a dataset is extended, ends soon, or has ended"),
        optional=False,
        related=("dataset__owner", "startup"),
    )
)
