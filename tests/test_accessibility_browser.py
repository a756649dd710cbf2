"""Accessibility: axe-core (bundled in axe-playwright-python) finds no violation on the pages people walk through,
in French and in Arabic (right-to-left)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.utils import timezone

from datacity.core.models import MembershipRole
from datacity.demo import content
from datacity.notifications import kinds, services
from startups.models import Application, ApplicationStatus
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerMembershipFactory,
    StartupFactory,
    StartupMembershipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [*content.PUBLIC_PAGES, "/accounts/login/", "/accounts/signup/", "/no-such-page/", "/ar/no-such-page/"]
NOTIFICATION_PAGES = [
    "/notifications/",
    "/notifications/preferences/",
    "/ar/notifications/",
    "/ar/notifications/preferences/",
]


def test_public_pages_have_no_accessibility_violation(live_server, page):
    call_command("load_demo", stdout=None)
    axe = Axe()
    problems = []
    for path in PAGES:
        page.goto(live_server.url + path)
        results = axe.run(page)
        for violation in results.response["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{path}: {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    assert problems == [], "\n".join(problems)


def notices_for(user, monkeypatch) -> None:
    """Two notices in the person's notification centre, the first one read, of a kind declared for this test."""
    kind = kinds.Kind("tests.accessibility", "Test notices")
    monkeypatch.setitem(kinds.KINDS, kind.name, kind)
    for subject in ("Your startup profile is complete", "Kezakoo was selected"):
        message = EmailMessage(subject=subject, body="Details.", to=[user.email])
        services.notify_mail(kind=kind, message=message, recipient=user, key=subject)
    user.notifications.filter(key="Your startup profile is complete").update(read_at=timezone.now())


def test_member_pages_have_no_accessibility_violation(live_server, page_logged_in_as, monkeypatch):
    membership = StartupMembershipFactory.create(startup__name="Kezakoo", role=MembershipRole.OWNER)
    notices_for(membership.user, monkeypatch)
    page = page_logged_in_as(membership.user)
    axe = Axe()
    problems = []
    slug = membership.startup.slug
    pages = ["/me/", f"/startups/{slug}/members/", f"/startups/{slug}/edit/", "/startups/new/", "/ar/me/"]
    for path in [*pages, *NOTIFICATION_PAGES]:
        page.goto(live_server.url + path)
        for violation in axe.run(page).response["violations"]:
            problems.append(
                f"{path}: {violation['id']}: {violation['help']} {[n['target'] for n in violation['nodes']][:3]}"
            )
    assert problems == [], "\n".join(problems)


def test_partner_pages_have_no_accessibility_violation(live_server, page_logged_in_as):
    """A partner's member reads the applications sent to its challenges (and its other pages), in both directions."""
    membership = PartnerMembershipFactory.create(partner__name="Lydec", role=MembershipRole.OWNER)
    challenge = ChallengeFactory.create(owner=membership.partner, title="Fewer leaks")
    Application.objects.create(
        startup=StartupFactory.create(name="Kezakoo"),
        challenge=challenge,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=timezone.now(),
        solution="Acoustic sensors on the mains.",
    )
    DatasetFactory.create(owner=membership.partner, access_level="restricted", slug="meters")
    page = page_logged_in_as(membership.user)
    axe = Axe()
    problems = []
    slug = membership.partner.slug
    paths = [f"/partners/{slug}/applications/", f"/ar/partners/{slug}/applications/", f"/partners/{slug}/edit/"]
    for path in [*paths, "/datasets/meters/agreement/new/", "/ar/datasets/meters/agreement/new/"]:
        page.goto(live_server.url + path)
        for violation in axe.run(page).response["violations"]:
            problems.append(
                f"{path}: {violation['id']}: {violation['help']} {[n['target'] for n in violation['nodes']][:3]}"
            )
    assert problems == [], "\n".join(problems)


def test_selection_and_data_room_pages_have_no_accessibility_violation(live_server, page_logged_in_as):
    """The jury's pages, staff's selection results and minutes, a startup's data requests and its experiment's pages
    (agreement, deliverables, indicators), a partner's access requests and site photos, in French and in Arabic, on
    the demo (the demo's accounts, enrolled in two-factor)."""
    from django.contrib.auth import get_user_model

    from partners.models import ExperimentationSite
    from startups.models import Review, ReviewStatus, Selection

    call_command("load_demo", stdout=None)
    people = {user.email: user for user in get_user_model().objects.filter(email__endswith="@demo.example.org")}
    edition = content.CURRENT_PROGRAM["slug"]
    jury = people["jury@demo.example.org"]
    to_declare = Review.objects.filter(juror=jury, status=ReviewStatus.ASSIGNED).first()
    assert to_declare is not None
    site = ExperimentationSite.objects.filter(partner__slug="lydec").first()
    assert site is not None
    # The running demo edition's experiment: the one with deliverables and indicators.
    experiment = Selection.objects.filter(startup__slug="kezakoo", program__slug=content.PILOT_PROGRAM["slug"]).first()
    assert experiment is not None
    experiment_pages = [f"/experiments/{experiment.pk}/{page}/" for page in ("agreement", "deliverables", "indicators")]
    walks = {
        "jury@demo.example.org": ["/jury/", "/jury/declarations/", f"/jury/reviews/{to_declare.pk}/declare/"],
        "staff@demo.example.org": [f"/staff/selection/{edition}/", f"/staff/selection/{edition}/minutes/"],
        "startup@demo.example.org": ["/datasets/startup/kezakoo/", *experiment_pages],
        "partner@demo.example.org": ["/datasets/requests/lydec/", f"/partners/lydec/sites/{site.slug}/photos/"],
    }
    axe = Axe()
    problems = []
    for email, paths in walks.items():
        page = page_logged_in_as(people[email])
        for path in [*paths, *(f"/ar{path}" for path in paths)]:
            response = page.goto(live_server.url + path)
            assert response is not None
            assert response.status == 200, f"{path} as {email}: {response.status}"
            assert page.url == live_server.url + path, f"{path} as {email}: sent to {page.url}"
            for violation in axe.run(page).response["violations"]:
                problems.append(
                    f"{path}: {violation['id']}: {violation['help']} {[n['target'] for n in violation['nodes']][:3]}"
                )
        page.context.close()
    assert problems == [], "\n".join(problems)
