"""Writes on the partner side: membership (rules in datacity.core)."""

from datacity.core.organisations import Space

from .models import PartnerInvitation, PartnerMembership

PARTNER_SPACE = Space(
    name="partner",
    organisation_field="partner",
    membership_model=PartnerMembership,
    invitation_model=PartnerInvitation,
    accept_url_name="partners:invitation_accept",
)
