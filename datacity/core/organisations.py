"""Membership of organisations (startups, partners) and juries: invitations, roles, leaving.

The rules are the same for every kind of organisation, so they live here once; each domain app describes its own
models with a `Space` and calls these services. Every change is audited.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from datacity.audit.services import Refused, audited_transaction, record
from datacity.notifications.models import MailState, Notification
from datacity.notifications.services import notify_mail

from .models import Invitation, Membership, MembershipRole
from .notices import INVITATION


class MembershipError(Refused):
    """A membership change refused by the rules; the message is shown to the person as it is."""


@dataclass(frozen=True)
class Space:
    """How one kind of organisation keeps its members and invitations."""

    name: str  # "startup", "partner", "jury": used in audit actions
    organisation_field: str  # the membership's and invitation's foreign key to the organisation
    membership_model: type[Membership]
    invitation_model: type[Invitation]
    accept_url_name: str

    def memberships(self, organisation: models.Model) -> models.QuerySet[Any]:
        return self.membership_model._default_manager.filter(**{self.organisation_field: organisation})

    def owners(self, organisation: models.Model) -> models.QuerySet[Any]:
        return self.memberships(organisation).filter(role=MembershipRole.OWNER)

    def membership_of(self, organisation: models.Model, user: Any) -> Any:
        if not user.is_authenticated:
            return None
        return self.memberships(organisation).filter(user=user).first()

    def is_member(self, organisation: models.Model, email: str) -> bool:
        """Whether someone with this address already belongs to the organisation."""
        return self.memberships(organisation).filter(user__email__iexact=email.strip()).exists()

    def pending_invitations(self, organisation: models.Model) -> models.QuerySet[Any]:
        return self.invitation_model._default_manager.filter(
            **{self.organisation_field: organisation}, accepted_at__isnull=True
        )


def keeps_an_owner(*, owners: set[int], leaving: set[int], joining: int = 0) -> bool:
    """The rule every membership change obeys: an organisation that has owners keeps at least one.

    `owners` are the owner memberships now, `leaving` those removed or no longer owners, `joining` how many new
    owners the same change adds.
    """
    return not owners or bool(owners - leaving) or joining > 0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@audited_transaction
def invitation_create(
    *, space: Space, organisation: models.Model, email: str, role: str, actor: Any
) -> tuple[Invitation, str]:
    """Invite `email`; returns (invitation, token). An earlier pending invitation to the same address is replaced."""
    email = email.strip()
    if space.is_member(organisation, email):
        raise MembershipError(
            _("%(email)s is already a member.") % {"email": email},
            action=f"{space.name}.invitation_refused",
            obj=organisation,
            email_to=email,
        )
    replaced = space.pending_invitations(organisation).filter(email__iexact=email)
    _withdraw_mails(replaced)
    replaced.delete()
    token = secrets.token_urlsafe(32)
    invitation = space.invitation_model._default_manager.create(
        **{space.organisation_field: organisation},
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    record(action=f"{space.name}.invitation_sent", actor=actor, obj=organisation, email_to=email, role=role)
    link = settings.SITE_URL + reverse(space.accept_url_name, kwargs={"token": token})
    context = {
        "invitation": invitation,
        "organisation": organisation,
        "link": link,
        "actor": actor,
        "space": space,
        "site_name": settings.SITE_NAME,
    }
    # Built here, inside the transaction, and stored in the outbox with the invitation: a message that cannot be
    # built (a bad header) leaves no invitation behind, and a mail relay that is down delays the mail, not the page.
    message = EmailMessage(
        " ".join(render_to_string("core/email/invitation_subject.txt", context).split()),
        render_to_string("core/email/invitation_message.txt", context),
        None,
        [email],
    )
    message.message()
    invitee = get_user_model()._default_manager.filter(email__iexact=email).first()
    notify_mail(kind=INVITATION, message=message, recipient=invitee, obj=invitation, key=None)
    return invitation, token


def _withdraw_mails(invitations: models.QuerySet[Any]) -> None:
    """Invitations about to be deleted (replaced, revoked) take their mails still waiting in the outbox with them:
    their links would lead nowhere. A mail a dispatcher is sending at this moment (under its lease) is left to it."""
    Notification.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=timezone.now()),
        kind=INVITATION.name,
        content_type=ContentType.objects.get_for_model(invitations.model),
        object_id__in=invitations.values("pk"),
        mail_state=MailState.PENDING,
    ).delete()


def invitation_for_token(*, space: Space, token: str, for_update: bool = False) -> Any:
    """The invitation a link points to, or a MembershipError saying why it cannot be used."""
    queryset = space.invitation_model._default_manager.select_related(space.organisation_field)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise MembershipError(_("This invitation link is not valid. Ask for a new invitation."))
    if invitation.accepted_at is not None:
        raise MembershipError(_("This invitation has already been used. Ask for a new invitation if you need one."))
    if invitation.expires_at <= timezone.now():
        raise MembershipError(_("This invitation has expired. Ask for a new invitation."))
    return invitation


@audited_transaction
def invitation_accept(*, space: Space, token: str, user: Any) -> Any:
    """Make `user` a member; the invitation is spent. Refused for another email address than the invited one."""
    invitation = invitation_for_token(space=space, token=token, for_update=True)
    if user.email.casefold() != invitation.email.casefold():
        raise MembershipError(
            _("This invitation was sent to another email address. Log in with the account of %(email)s to accept it.")
            % {"email": invitation.email},
            action=f"{space.name}.invitation_refused",
            obj=getattr(invitation, space.organisation_field),
            email_to=invitation.email,
        )
    organisation = getattr(invitation, space.organisation_field)
    membership, created = space.membership_model._default_manager.get_or_create(
        **{space.organisation_field: organisation, "user": user}, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    record(
        action=f"{space.name}.member_joined",
        actor=user,
        obj=organisation,
        role=membership.role,
        already_member=not created,
    )
    return membership


def _lock_owners(space: Space, organisation: models.Model) -> list[int]:
    return list(space.owners(organisation).select_for_update().values_list("pk", flat=True))


@audited_transaction
def membership_add(*, space: Space, organisation: models.Model, user: Any, role: str, actor: Any) -> Any:
    """Staff make someone a member at once, without an invitation (an explicit, audited action)."""
    membership, created = space.membership_model._default_manager.get_or_create(
        **{space.organisation_field: organisation, "user": user}, defaults={"role": role}
    )
    if not created:
        raise MembershipError(_("%(email)s is already a member.") % {"email": user.email})
    record(action=f"{space.name}.member_added", actor=actor, obj=organisation, member=user.email, role=role)
    return membership


@audited_transaction
def membership_change_role(*, space: Space, membership: Any, role: str, actor: Any) -> Any:
    organisation = getattr(membership, space.organisation_field)
    owners = set(_lock_owners(space, organisation))
    leaving = {membership.pk} if role != MembershipRole.OWNER else set()
    if not keeps_an_owner(owners=owners, leaving=leaving):
        raise MembershipError(
            _("The last owner cannot stop being an owner: make someone else an owner first."),
            action=f"{space.name}.role_change_refused",
            obj=organisation,
            member=membership.user.email,
        )
    previous, membership.role = membership.role, role
    membership.save(update_fields=["role", "updated_at"])
    record(
        action=f"{space.name}.role_changed",
        actor=actor,
        obj=organisation,
        member=membership.user.email,
        role_from=previous,
        role_to=role,
    )
    return membership


@audited_transaction
def membership_remove(*, space: Space, membership: Any, actor: Any) -> None:
    organisation = getattr(membership, space.organisation_field)
    owners = set(_lock_owners(space, organisation))
    if not keeps_an_owner(owners=owners, leaving={membership.pk}):
        raise MembershipError(
            _("The last owner cannot leave: make someone else an owner first."),
            action=f"{space.name}.removal_refused",
            obj=organisation,
            member=membership.user.email,
        )
    email = membership.user.email
    membership.delete()
    action = "left" if actor is not None and actor.pk == membership.user_id else "member_removed"
    record(action=f"{space.name}.{action}", actor=actor, obj=organisation, member=email)


@audited_transaction
def invitation_revoke(*, space: Space, invitation: Any, actor: Any) -> None:
    organisation = getattr(invitation, space.organisation_field)
    email = invitation.email
    _withdraw_mails(space.invitation_model._default_manager.filter(pk=invitation.pk))
    invitation.delete()
    record(action=f"{space.name}.invitation_revoked", actor=actor, obj=organisation, email_to=email)
