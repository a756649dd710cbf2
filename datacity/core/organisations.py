"""Membership of organisations (startups, partners) and juries: invitations, roles, leaving.

The rules are the same for every kind of organisation, so they live here once; each domain app describes its own
models with a `Space` and calls these services. Every change is audited.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datacity.audit.services import record

from .models import MembershipRole


class MembershipError(Exception):
    """A membership change refused by the rules; the message is shown to the person as it is."""


@dataclass(frozen=True)
class Space:
    """How one kind of organisation keeps its members and invitations."""

    name: str  # "startup", "partner", "jury": used in audit actions
    organisation_field: str  # the membership's and invitation's foreign key to the organisation
    membership_model: type[models.Model]
    invitation_model: type[models.Model]
    accept_url_name: str
    label: str = gettext_lazy("organisation")

    def memberships(self, organisation) -> models.QuerySet:
        return self.membership_model.objects.filter(**{self.organisation_field: organisation})

    def owners(self, organisation) -> models.QuerySet:
        return self.memberships(organisation).filter(role=MembershipRole.OWNER)

    def membership_of(self, organisation, user):
        if not user.is_authenticated:
            return None
        return self.memberships(organisation).filter(user=user).first()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, space: Space, organisation, email: str, role: str, actor, request=None):
    """Invite `email`; returns (invitation, token). An earlier pending invitation to the same address is replaced."""
    email = email.strip()
    if space.memberships(organisation).filter(user__email__iexact=email).exists():
        raise MembershipError(_("%(email)s is already a member.") % {"email": email})
    space.invitation_model.objects.filter(
        **{space.organisation_field: organisation}, email__iexact=email, accepted_at__isnull=True
    ).delete()
    token = secrets.token_urlsafe(32)
    invitation = space.invitation_model.objects.create(
        **{space.organisation_field: organisation},
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    record(action=f"{space.name}.invitation_sent", actor=actor, obj=organisation, request=request, email_to=email)
    link = reverse(space.accept_url_name, kwargs={"token": token})
    if request is not None:
        link = request.build_absolute_uri(link)
    context = {"invitation": invitation, "organisation": organisation, "link": link, "actor": actor, "space": space}
    transaction.on_commit(
        lambda: send_mail(
            render_to_string("core/email/invitation_subject.txt", context).strip(),
            render_to_string("core/email/invitation_message.txt", context),
            None,
            [email],
        )
    )
    return invitation, token


def invitation_for_token(*, space: Space, token: str, for_update: bool = False):
    """The invitation a link points to, or a MembershipError saying why it cannot be used."""
    queryset = space.invitation_model.objects.select_related(space.organisation_field)
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


@transaction.atomic
def invitation_accept(*, space: Space, token: str, user, request=None):
    """Make `user` a member; the invitation is spent. Refused for another email address than the invited one."""
    invitation = invitation_for_token(space=space, token=token, for_update=True)
    if user.email.casefold() != invitation.email.casefold():
        record(action=f"{space.name}.invitation_refused", actor=user, request=request, reason="wrong email")
        raise MembershipError(
            _("This invitation was sent to another email address. Log in with the account of %(email)s to accept it.")
            % {"email": invitation.email}
        )
    organisation = getattr(invitation, space.organisation_field)
    membership, created = space.membership_model.objects.get_or_create(
        **{space.organisation_field: organisation, "user": user}, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    record(
        action=f"{space.name}.member_joined",
        actor=user,
        obj=organisation,
        request=request,
        role=membership.role,
        already_member=not created,
    )
    return membership


def _lock_owners(space: Space, organisation) -> list:
    return list(space.owners(organisation).select_for_update().values_list("pk", flat=True))


@transaction.atomic
def membership_change_role(*, space: Space, membership, role: str, actor, request=None):
    organisation = getattr(membership, space.organisation_field)
    owners = _lock_owners(space, organisation)
    if membership.role == MembershipRole.OWNER and role != MembershipRole.OWNER and owners == [membership.pk]:
        raise MembershipError(_("The last owner cannot stop being an owner: make someone else an owner first."))
    previous, membership.role = membership.role, role
    membership.save(update_fields=["role", "updated_at"])
    record(
        action=f"{space.name}.role_changed",
        actor=actor,
        obj=organisation,
        request=request,
        member=membership.user.email,
        role_from=previous,
        role_to=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, space: Space, membership, actor, request=None) -> None:
    organisation = getattr(membership, space.organisation_field)
    owners = _lock_owners(space, organisation)
    if owners == [membership.pk]:
        raise MembershipError(_("The last owner cannot leave: make someone else an owner first."))
    email = membership.user.email
    membership.delete()
    action = "left" if actor is not None and actor.pk == membership.user_id else "member_removed"
    record(action=f"{space.name}.{action}", actor=actor, obj=organisation, request=request, member=email)


@transaction.atomic
def invitation_revoke(*, space: Space, invitation, actor, request=None) -> None:
    organisation = getattr(invitation, space.organisation_field)
    email = invitation.email
    invitation.delete()
    record(action=f"{space.name}.invitation_revoked", actor=actor, obj=organisation, request=request, email_to=email)
