"""Pages that gather several domain apps: My space, an edition's page, a challenge's page and a partner's page.

They sit above the domain apps (like the root URLconf) and read only through the selector functions and access
rules of the apps that own the data, so that no app reaches into another's tables and imports go one way.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from challenges import permissions as challenge_permissions
from challenges import selectors as challenge_selectors
from datacity.pagecache import public_page
from datasets import selectors as dataset_selectors
from partners import permissions as partner_permissions
from partners import selectors as partner_selectors
from startups import permissions as startup_permissions
from startups import selectors as startup_selectors


@login_required
def my_space(request: HttpRequest) -> HttpResponse:
    """The page each person lands on after logging in: their organisations, juries and, for staff, the editions'
    dashboards."""
    user = request.user
    partner_memberships = list(partner_selectors.partner_memberships_of(user))
    partner_ids = [membership.partner_id for membership in partner_memberships]
    challenges = challenge_selectors.challenges_owned_by(partner_ids)
    datasets = dataset_selectors.datasets_owned_by(partner_ids)
    context: dict[str, Any] = {
        "startup_memberships": startup_selectors.startup_memberships_of(user),
        # Every application of the person's startups, with what its line shows: one query.
        "applications": startup_permissions.applications_of_member(user)
        .select_related("startup", "challenge__program")
        .order_by("-updated_at"),
        "partner_cards": [
            {
                "membership": membership,
                "partner": membership.partner,
                "challenges": challenges[membership.partner_id],
                "datasets": datasets[membership.partner_id],
            }
            for membership in partner_memberships
        ],
        "jury_memberships": challenge_selectors.jury_memberships_of(user),
        # The experiments the person takes part in, as a startup's member or a sponsoring partner's (staff follow
        # theirs from the admin): one query.
        "experiments": startup_permissions.experiments_of_party(user)
        .select_related("startup", "program", "challenge", "sponsor")
        .order_by("-program__starts_on", "startup__name"),
    }
    if user.is_staff:
        context["staff_programs"] = challenge_selectors.programs_for_staff()
    return render(request, "my_space.html", context)


@public_page
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = challenge_permissions.access_program(request.user, slug)
    context = {
        "program": program,
        "state": program.state(),
        "challenges": challenge_selectors.published_challenges(program=program),
        "selections": startup_selectors.public_selections(program=program).order_by("startup__name"),
    }
    return render(request, "challenges/program_detail.html", context)


@public_page
def challenge_detail(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = challenge_permissions.access_challenge(request.user, slug)
    context = {
        "challenge": challenge,
        # Which phase the edition is in and what a startup can do now: one query for the edition's phases.
        "state": challenge.program.state(),
        "selections": startup_selectors.public_selections(challenge=challenge),
        "public_datasets": dataset_selectors.public_datasets(challenge=challenge),
    }
    return render(request, "challenges/challenge_detail.html", context)


@public_page
def partner_detail(request: HttpRequest, slug: str) -> HttpResponse:
    partner = partner_permissions.access_partner(request.user, slug)
    owned, co_sponsored = challenge_selectors.partner_public_challenges(partner)
    context = {
        "partner": partner,
        "owned_challenges": owned,
        "co_sponsored_challenges": co_sponsored,
        "public_datasets": dataset_selectors.public_datasets(partner=partner),
        "sponsored_selections": startup_selectors.public_selections(sponsor=partner),
        "is_owner": partner_permissions.is_owner(request.user, partner),
        "is_member": partner_permissions.partners_of_member(request.user).filter(pk=partner.pk).exists(),
    }
    return render(request, "partners/partner_detail.html", context)


@login_required
def partner_applications(request: HttpRequest, slug: str) -> HttpResponse:
    """The members of a partner read the applications sent to the challenges it owns (drafts and withdrawn ones
    are the startups' alone), grouped by challenge; each leads to the application's read-only page."""
    partner = partner_permissions.access_partner(request.user, slug, as_member=True)
    applications = (
        startup_permissions.applications_for_partner(request.user)
        .filter(challenge__owner=partner)
        .select_related("startup", "challenge__program")
        .order_by("-challenge__program__starts_on", "challenge_id", "startup__name", "pk")
    )
    return render(request, "partners/partner_applications.html", {"partner": partner, "applications": applications})
