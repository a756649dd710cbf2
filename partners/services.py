"""Writes on the partner side: its public profile, and membership (rules in datacity.core)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from datacity.core.organisations import Space
from datacity.core.services import assign, audited_save

from .models import Partner, PartnerInvitation, PartnerMembership

PARTNER_SPACE = Space(
    name="partner",
    organisation_field="partner",
    membership_model=PartnerMembership,
    invitation_model=PartnerInvitation,
    accept_url_name="partners:invitation_accept",
)

# What a partner's owners may change themselves; its name, kind and visibility stay with staff.
PROFILE_FIELDS = frozenset({"description_fr", "description_ar", "description_en", "website", "logo"})


@transaction.atomic
def partner_profile_update(*, partner: Partner, actor: Any, data: Mapping[str, Any]) -> Partner:
    """Change a partner's public profile; the audit entry says which fields changed, from what, to what."""
    unknown = set(data) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"not part of a partner's public profile: {sorted(unknown)}")
    assign(partner, data)
    audited_save(instance=partner, actor=actor, action="partner.profile_updated")
    return partner
