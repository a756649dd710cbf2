"""A partner's members read the applications sent to the challenges it owns: not drafts nor withdrawn ones, not
another partner's; anyone else gets the 404 of a page that does not exist; the page's query count is constant.

The pages speak the default language (French): assertions read status codes, ids and links, not sentences.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from datacity.core.models import MembershipRole
from startups.models import Application, ApplicationStatus
from tests.factories import (
    ChallengeFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgramFactory,
    StartupFactory,
    StartupMembershipFactory,
    UserFactory,
)
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def apply(challenge, status=ApplicationStatus.SUBMITTED) -> Application:
    return Application.objects.create(
        startup=StartupFactory.create(),
        challenge=challenge,
        status=status,
        submitted_at=timezone.now() if status != ApplicationStatus.DRAFT else None,
    )


def url(partner) -> str:
    return reverse("partners:applications", kwargs={"slug": partner.slug})


def shown(response) -> set[int]:
    return {application.pk for application in response.context["applications"]}


@pytest.fixture
def partners():
    """Partner X owns two challenges in two editions; partner Y owns one."""
    x, y = PartnerFactory.create(slug="x"), PartnerFactory.create(slug="y")
    x_challenges = [ChallengeFactory.create(owner=x), ChallengeFactory.create(owner=x, program=ProgramFactory.create())]
    y_challenge = ChallengeFactory.create(owner=y)
    return x, y, x_challenges, y_challenge


def test_a_member_reads_the_sent_applications_of_its_challenges_only(client, partners):
    x, _y, (first, second), y_challenge = partners
    sent = [
        apply(first),
        apply(first, ApplicationStatus.UNDER_REVIEW),
        apply(second, ApplicationStatus.ELIGIBLE),
        apply(second, ApplicationStatus.INELIGIBLE),
    ]
    apply(first, ApplicationStatus.DRAFT)
    apply(second, ApplicationStatus.WITHDRAWN)
    apply(y_challenge)
    apply(ChallengeFactory.create(co_sponsors=[x]))  # co-sponsored, not owned
    member = PartnerMembershipFactory.create(partner=x, role=MembershipRole.MEMBER).user
    client.force_login(member)

    response = client.get(url(x))

    assert response.status_code == 200
    assert shown(response) == {application.pk for application in sent}
    html = response.content.decode()
    for application in sent:
        assert f'href="{reverse("startups:application", kwargs={"pk": application.pk})}"' in html
    assert html.count("data-challenge=") == 2  # grouped by challenge


def test_the_links_lead_to_pages_the_member_may_read(client, partners):
    x, _y, (first, _second), _y_challenge = partners
    application = apply(first)
    client.force_login(PartnerMembershipFactory.create(partner=x).user)

    response = client.get(reverse("startups:application", kwargs={"pk": application.pk}))

    assert response.status_code == 200


@pytest.mark.parametrize("who", ["partner_y", "startup", "staff", "nobody"])
def test_anyone_but_its_members_gets_a_404(client, partners, who):
    x, y, (first, _second), _y_challenge = partners
    application = apply(first)
    users = {
        "partner_y": lambda: PartnerMembershipFactory.create(partner=y).user,
        "startup": lambda: StartupMembershipFactory.create(startup=application.startup).user,
        "staff": lambda: UserFactory.create(is_staff=True),
        "nobody": lambda: UserFactory.create(),
    }
    client.force_login(users[who]())

    assert client.get(url(x)).status_code == 404


def test_anonymous_people_are_sent_to_log_in(client, partners):
    x, *_rest = partners

    response = client.get(url(x))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_partner_page_links_its_members_to_the_applications(client, partners):
    x, *_rest = partners
    client.force_login(PartnerMembershipFactory.create(partner=x, role=MembershipRole.OWNER).user)

    html = client.get(x.get_absolute_url()).content.decode()

    assert f'href="{url(x)}"' in html


def test_the_page_query_count_is_constant(client, partners):
    x, _y, (first, second), _y_challenge = partners
    client.force_login(PartnerMembershipFactory.create(partner=x).user)

    def grow(n):
        while Application.objects.count() < n:
            apply(first if Application.objects.count() % 2 else second)

    response = assert_constant_queries(client, url(x), grow, at_most=10)
    assert len(shown(response)) == 50
