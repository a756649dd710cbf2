"""Jury assignment: jurors of a challenge, balanced and idempotent assignment of reviews, the conflict register and
recusals (with automatic replacement), and the juror's assignment and declaration pages."""

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from challenges.models import ChallengeJuror
from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from startups import assignment, notices
from startups.assignment import AssignmentRefused
from startups.models import (
    Application,
    ApplicationStatus,
    ConflictDeclaration,
    Review,
    ReviewStatus,
    Score,
)
from startups.scoring import edition_results
from tests.factories import (
    ChallengeFactory,
    ChallengeJurorFactory,
    JuryMembershipFactory,
    PartnerMembershipFactory,
    ProgramFactory,
    StartupFactory,
    StartupMembershipFactory,
    SubmittedApplicationFactory,
    UserFactory,
)
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def jury(challenge, n: int) -> list:
    return [ChallengeJurorFactory.create(challenge=challenge).user for _ in range(n)]


def applications(challenge, n: int) -> list:
    return [SubmittedApplicationFactory.create(challenge=challenge) for _ in range(n)]


@pytest.fixture
def staff():
    return UserFactory.create(is_staff=True, totp=False)


# --- Jurors of a challenge ----------------------------------------------------------------------------------------


def test_only_a_jury_member_of_the_edition_sits_on_a_challenge(staff):
    challenge = ChallengeFactory.create()
    outsider = UserFactory.create()
    with pytest.raises(AssignmentRefused) as refusal:
        assignment.juror_add(challenge=challenge, user=outsider, actor=staff)
    assert refusal.value.details["reason_code"] == "not_jury"
    JuryMembershipFactory.create(program=challenge.program, user=outsider)
    assignment.juror_add(challenge=challenge, user=outsider, actor=staff)
    assignment.juror_add(challenge=challenge, user=outsider, actor=staff)
    assert ChallengeJuror.objects.filter(challenge=challenge, user=outsider).count() == 1
    assert AuditEntry.objects.filter(action="challenge.juror_added").count() == 1


def test_a_partner_member_sits_only_on_their_partners_challenges(staff):
    membership = PartnerMembershipFactory.create()
    own = ChallengeFactory.create(owner=membership.partner)
    co_sponsored = ChallengeFactory.create(program=own.program, co_sponsors=[membership.partner])
    other = ChallengeFactory.create(program=own.program)
    JuryMembershipFactory.create(program=own.program, user=membership.user)
    assignment.juror_add(challenge=own, user=membership.user, actor=staff)
    assignment.juror_add(challenge=co_sponsored, user=membership.user, actor=staff)
    with pytest.raises(AssignmentRefused) as refusal:
        assignment.juror_add(challenge=other, user=membership.user, actor=staff)
    assert refusal.value.details["reason_code"] == "not_own_challenge"
    assert AuditEntry.objects.filter(action="challenge.juror_refused").exists()


def test_removing_a_juror_withdraws_the_reviews_not_started(staff):
    challenge = ChallengeFactory.create(program=ProgramFactory.create(reviews_per_application=1))
    [juror] = jury(challenge, 1)
    applications(challenge, 2)
    assert assignment.reviews_assign(program=challenge.program, actor=staff) == 2
    Review.objects.filter(pk=Review.objects.earliest("pk").pk).update(status=ReviewStatus.DRAFT)
    assert assignment.juror_remove(challenge=challenge, user=juror, actor=staff) == 1
    assert Review.objects.get().status == ReviewStatus.DRAFT


# --- Assignment ---------------------------------------------------------------------------------------------------


def test_assignment_gives_each_application_n_reviews_balanced_and_is_idempotent(staff):
    challenge = ChallengeFactory.create()
    jurors = jury(challenge, 4)
    apps = applications(challenge, 6)
    SubmittedApplicationFactory.create(challenge=challenge, status=ApplicationStatus.DRAFT)
    SubmittedApplicationFactory.create(challenge=challenge, status=ApplicationStatus.WITHDRAWN)
    SubmittedApplicationFactory.create(challenge=challenge, status=ApplicationStatus.INELIGIBLE)

    created = assignment.reviews_assign(program=challenge.program, actor=staff, per_application=3)

    assert created == 18
    per_application = Counter(Review.objects.values_list("application_id", flat=True))
    assert per_application == {application.pk: 3 for application in apps}
    loads = Counter(Review.objects.values_list("juror_id", flat=True))
    assert set(loads) == {juror.pk for juror in jurors}
    assert max(loads.values()) - min(loads.values()) <= 1
    assert set(Review.objects.values_list("status", flat=True)) == {ReviewStatus.ASSIGNED}
    # The edition's default rubric was made, and the reviews are under it.
    assert Review.objects.filter(rubric__program=challenge.program, rubric__version=1).count() == 18
    # One notice per juror and challenge, with the link to the assignments.
    assigned = Notification.objects.filter(kind=notices.REVIEW_ASSIGNED.name)
    assert sorted(assigned.values_list("recipient_id", flat=True)) == sorted(juror.pk for juror in jurors)
    assert set(assigned.values_list("url", flat=True)) == {reverse("jury:assignments")}

    assert assignment.reviews_assign(program=challenge.program, actor=staff, per_application=3) == 0
    assert Review.objects.count() == 18
    assert assigned.count() == 4


def test_assignment_is_deterministic(staff):
    program = ProgramFactory.create(reviews_per_application=2)
    challenge = ChallengeFactory.create(program=program)
    jurors = sorted(jury(challenge, 3), key=lambda user: user.pk)
    [first, second] = applications(challenge, 2)
    assignment.reviews_assign(program=program, actor=staff)
    assert set(Review.objects.filter(application=first).values_list("juror_id", flat=True)) == {
        jurors[0].pk,
        jurors[1].pk,
    }
    assert set(Review.objects.filter(application=second).values_list("juror_id", flat=True)) == {
        jurors[2].pk,
        jurors[0].pk,
    }


def test_a_conflicted_juror_is_never_assigned(staff):
    program = ProgramFactory.create(reviews_per_application=3)
    challenge = ChallengeFactory.create(program=program)
    member, declared, by_name, free = jury(challenge, 4)
    startup = StartupFactory.create(name="Acme Water")
    StartupMembershipFactory.create(startup=startup, user=member)
    ConflictDeclaration.objects.create(juror=declared, startup=startup, description="Shareholder.")
    ConflictDeclaration.objects.create(juror=by_name, organisation="ACME WATER", description="Former employer.")
    application = SubmittedApplicationFactory.create(challenge=challenge, startup=startup)

    assert assignment.reviews_assign(program=program, actor=staff) == 1

    assert list(Review.objects.values_list("juror_id", flat=True)) == [free.pk]
    [short] = assignment.shortfalls(program=program)
    assert (short.application, short.missing) == (application, 2)
    entry = AuditEntry.objects.get(action="reviews.assigned")
    assert entry.details["shortfalls"] == [{"application": application.pk, "missing": 2}]


def test_assignment_counts_only_the_applications_of_the_challenge_asked(staff):
    program = ProgramFactory.create(reviews_per_application=1)
    one, two = ChallengeFactory.create(program=program), ChallengeFactory.create(program=program)
    jury(one, 1), jury(two, 1)
    applications(one, 2), applications(two, 2)
    assert assignment.reviews_assign(program=program, challenge=one, actor=staff) == 2
    assert set(Review.objects.values_list("application__challenge", flat=True)) == {one.pk}


@pytest.mark.django_db(transaction=True)
def test_two_assignments_at_once_do_not_over_assign():
    staff = UserFactory.create(is_staff=True, totp=False)
    challenge = ChallengeFactory.create(program=ProgramFactory.create(reviews_per_application=2))
    jury(challenge, 4)
    applications(challenge, 5)
    results, errors = [], []

    def run() -> None:
        try:
            results.append(assignment.reviews_assign(program=challenge.program, actor=staff))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == [0, 10]
    assert Review.objects.count() == 10


# --- Conflicts and recusals -----------------------------------------------------------------------------------------


@pytest.fixture
def assigned(staff):
    """One application, three jurors of four assigned to it."""
    program = ProgramFactory.create(reviews_per_application=3)
    challenge = ChallengeFactory.create(program=program)
    jurors = jury(challenge, 4)
    application = SubmittedApplicationFactory.create(challenge=challenge)
    assignment.reviews_assign(program=program, actor=staff)
    return application, jurors


def test_a_recusal_is_replaced_automatically(assigned):
    application, jurors = assigned
    review = Review.objects.get(application=application, juror=jurors[0])
    declaration = assignment.review_recuse(review=review, juror=jurors[0], description="My cousin founded it.")
    review.refresh_from_db()
    assert review.status == ReviewStatus.RECUSED
    assert review.recusal == declaration
    assert declaration.startup_id == application.startup_id
    assert declaration.program_id == application.challenge.program_id
    assert Review.objects.counting().filter(application=application).count() == 3
    assert Review.objects.get(application=application, juror=jurors[3]).status == ReviewStatus.ASSIGNED
    assert Notification.objects.filter(kind=notices.REVIEW_ASSIGNED.name, recipient=jurors[3]).count() == 1


def test_a_recusal_with_nobody_left_leaves_the_application_short(staff):
    program = ProgramFactory.create(reviews_per_application=1)
    challenge = ChallengeFactory.create(program=program)
    [juror] = jury(challenge, 1)
    SubmittedApplicationFactory.create(challenge=challenge)
    assignment.reviews_assign(program=program, actor=staff)
    assignment.review_recuse(review=Review.objects.get(), juror=juror, description="Linked.")
    assert Review.objects.counting().count() == 0
    assert len(assignment.shortfalls(program=program)) == 1


def test_recusing_needs_a_description_and_ones_own_review(assigned):
    application, jurors = assigned
    review = Review.objects.get(application=application, juror=jurors[0])
    with pytest.raises(AssignmentRefused) as refusal:
        assignment.review_recuse(review=review, juror=jurors[0], description="  ")
    assert refusal.value.details["reason_code"] == "no_description"
    with pytest.raises(AssignmentRefused) as refusal:
        assignment.review_recuse(review=review, juror=jurors[1], description="Linked.")
    assert refusal.value.details["reason_code"] == "not_yours"
    assert not ConflictDeclaration.objects.exists()


def test_clearing_opens_the_review_and_is_refused_when_linked(assigned):
    application, jurors = assigned
    review = Review.objects.get(application=application, juror=jurors[0])
    assignment.review_clear(review=review, juror=jurors[0])
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    assert review.cleared_at is not None
    with pytest.raises(AssignmentRefused) as refusal:
        assignment.review_clear(review=review, juror=jurors[0])
    assert refusal.value.details["reason_code"] == "not_assigned"

    other = Review.objects.get(application=application, juror=jurors[1])
    StartupMembershipFactory.create(startup=application.startup, user=jurors[1])
    with pytest.raises(AssignmentRefused) as refusal:
        assignment.review_clear(review=other, juror=jurors[1])
    assert refusal.value.details["reason_code"] == "conflicted"


def test_a_declaration_made_later_recuses_existing_reviews_even_submitted(assigned, staff):
    application, jurors = assigned
    review = Review.objects.get(application=application, juror=jurors[0])
    Review.objects.filter(pk=review.pk).update(status=ReviewStatus.SUBMITTED)
    assignment.conflict_declare(
        juror=jurors[0], organisation=application.startup.name.upper(), description="I advise them."
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.RECUSED
    entry = AuditEntry.objects.get(action="review.recused")
    assert entry.details["submitted_no_longer_counting"] == [review.pk]
    assert Review.objects.counting().filter(application=application).count() == 3


def test_a_declaration_names_someone_and_describes_the_link():
    juror = UserFactory.create()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"description": "Linked."}, "nobody"),
        ({"person": "Ali", "description": ""}, "no_description"),
        ({"person": "Ali", "description": "x" * 10_000}, "too_long"),
        ({"organisation": "x" * 10_000, "description": "Linked."}, "invalid"),
    ]
    for kwargs, code in cases:
        with pytest.raises(AssignmentRefused) as refusal:
            assignment.conflict_declare(juror=juror, **kwargs)
        assert refusal.value.details["reason_code"] == code
    assert not ConflictDeclaration.objects.exists()
    assignment.conflict_declare(juror=juror, person="Ali B.", description="My brother-in-law.")
    assert AuditEntry.objects.filter(action="conflict.declared").count() == 1


# --- The juror's pages --------------------------------------------------------------------------------------------


def test_the_assignment_list_shows_names_only_before_declaring(client, assigned):
    application, jurors = assigned
    juror = jurors[0]
    application.solution = "A secret solution nobody sees before declaring."
    application.save()
    client.force_login(juror)
    response = client.get(reverse("jury:assignments"))
    assert response.status_code == 200
    page = response.content.decode()
    review = Review.objects.get(application=application, juror=juror)
    assert application.startup.name in page
    assert reverse("jury:declare", args=[review.pk]) in page
    assert f'href="{reverse("jury:review", args=[review.pk])}"' not in page
    assert "secret solution" not in page


def test_a_blind_review_lists_the_application_number(client, assigned):
    application, jurors = assigned
    application.challenge.program.blind_review = True
    application.challenge.program.save()
    client.force_login(jurors[0])
    page = client.get("/en" + reverse("jury:assignments")).content.decode()
    assert application.startup.name not in page
    assert f"Application #{application.pk}" in page


def test_the_jury_pages_are_for_jurors_only(client):
    client.force_login(UserFactory.create())
    for name in ("jury:assignments", "jury:declarations"):
        assert client.get(reverse(name)).status_code == 404
    client.logout()
    assert client.get(reverse("jury:assignments")).status_code == 302


def test_recused_and_conflicted_reviews_are_not_listed_and_cannot_be_declared(client, assigned):
    application, jurors = assigned
    juror = jurors[0]
    review = Review.objects.get(application=application, juror=juror)
    client.force_login(juror)
    # Linked afterwards (a startup membership): the review disappears and its declaration page is 404.
    StartupMembershipFactory.create(startup=application.startup, user=juror)
    page = client.get(reverse("jury:assignments")).content.decode()
    assert application.startup.name not in page
    assert client.get(reverse("jury:declare", args=[review.pk])).status_code == 404
    # Someone else's review: 404, audited.
    other = Review.objects.get(application=application, juror=jurors[1])
    assert client.get(reverse("jury:declare", args=[other.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="access.refused", object_id=str(other.pk)).exists()


def test_declaring_no_link_goes_to_the_review(client, assigned):
    application, jurors = assigned
    review = Review.objects.get(application=application, juror=jurors[0])
    client.force_login(jurors[0])
    url = reverse("jury:declare", args=[review.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"choice": "no_link"})
    assert response.status_code == 302
    assert response["Location"] == reverse("jury:review", args=[review.pk])
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    # Declared: the page sends on to the review.
    assert client.get(url).status_code == 302


def test_declaring_a_link_recuses(client, assigned):
    application, jurors = assigned
    review = Review.objects.get(application=application, juror=jurors[0])
    client.force_login(jurors[0])
    response = client.post(reverse("jury:declare", args=[review.pk]), {"choice": "link", "description": "Cousin."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.RECUSED
    page = client.get(reverse("jury:assignments")).content.decode()
    assert reverse("jury:declare", args=[review.pk]) not in page


@pytest.mark.parametrize(
    "data",
    [
        {"choice": "link", "description": ""},
        {"choice": "link", "description": "x" * 10_000},
        {"choice": "maybe"},
        {},
    ],
)
def test_a_bad_declaration_is_shown_again_with_400(client, assigned, data):
    application, jurors = assigned
    review = Review.objects.get(application=application, juror=jurors[0])
    client.force_login(jurors[0])
    response = client.post(reverse("jury:declare", args=[review.pk]), data)
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.status == ReviewStatus.ASSIGNED
    assert not ConflictDeclaration.objects.exists()


def test_the_register_lists_and_takes_declarations(client, assigned):
    application, jurors = assigned
    juror = jurors[0]
    client.force_login(juror)
    url = reverse("jury:declarations")
    response = client.get(url)
    assert response.status_code == 200
    assert f'value="{application.startup.pk}"' in response.content.decode()
    response = client.post(url, {"startup": application.startup.pk, "description": "I mentored them."})
    assert response.status_code == 302
    assert Review.objects.get(application=application, juror=juror).status == ReviewStatus.RECUSED
    assert "I mentored them." in client.get(url).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"description": "Linked to nobody."},
        {"person": "Ali", "description": ""},
        {"person": "Ali", "description": "x" * 10_000},
        {"organisation": "x" * 10_000, "description": "Linked."},
        {"person": "Ali\nBaba", "description": "Linked."},
        {"startup": "999999", "description": "Linked."},
    ],
)
def test_a_bad_register_entry_is_shown_again_with_400(client, assigned, data):
    _application, jurors = assigned
    client.force_login(jurors[0])
    response = client.post(reverse("jury:declarations"), data)
    assert response.status_code == 400
    assert not ConflictDeclaration.objects.exists()


def test_the_assignment_page_costs_the_same_queries_at_5_and_50_rows(client, staff):
    program = ProgramFactory.create(reviews_per_application=1)
    juror = UserFactory.create()
    JuryMembershipFactory.create(program=program, user=juror)
    client.force_login(juror)

    def grow(n: int) -> None:
        while Review.objects.filter(juror=juror).count() < n:
            challenge = ChallengeFactory.create(program=program)
            ChallengeJurorFactory.create(challenge=challenge, user=juror)
            applications(challenge, 2)
            assignment.reviews_assign(program=program, challenge=challenge, actor=staff)
            last = Review.objects.filter(juror=juror).latest("pk")
            Review.objects.filter(pk=last.pk).update(status=ReviewStatus.DRAFT)

    assert_constant_queries(client, reverse("jury:assignments"), grow, at_most=12)


def test_my_space_links_a_juror_to_their_reviews(client):
    juror = UserFactory.create()
    JuryMembershipFactory.create(user=juror)
    client.force_login(juror)
    page = client.get(reverse("my_space")).content.decode()
    assert reverse("jury:assignments") in page
    assert reverse("jury:declarations") in page


# --- The demo -----------------------------------------------------------------------------------------------------


def test_the_demo_selection_is_complete_and_idempotent():
    from django.core.management import call_command

    from datacity.demo import content
    from datacity.demo.selection import CONFLICTED_JUROR, load_selection

    call_command("load_demo", verbosity=0)

    def rows() -> tuple:
        return (
            list(Review.objects.order_by("pk").values_list()),
            list(Score.objects.order_by("pk").values_list()),
            list(ConflictDeclaration.objects.order_by("pk").values_list()),
            list(ChallengeJuror.objects.order_by("pk").values_list()),
        )

    first = rows()
    for _ in range(2):
        load_selection()
    assert rows() == first
    program_slug = content.CURRENT_PROGRAM["slug"]
    reviews = Review.objects.filter(application__challenge__program__slug=program_slug)
    submitted_applications = Application.objects.filter(
        challenge__program__slug=program_slug, status=ApplicationStatus.SUBMITTED
    )
    assert submitted_applications.count() == 6
    for application in submitted_applications:
        assert reviews.filter(application=application).counting().count() == 3  # the edition's N
    # Every demo juror but the demo jury account scored all theirs; the account has its own left to do.
    jury_account = reviews.filter(juror__email="jury@demo.example.org")
    assert jury_account.exists()
    assert not jury_account.exclude(status=ReviewStatus.ASSIGNED).exists()
    submitted = reviews.filter(status=ReviewStatus.SUBMITTED)
    assert submitted.count() == reviews.count() - jury_account.count()
    assert Score.objects.filter(review__in=submitted).count() == submitted.count() * 5
    # The declared conflict keeps its juror off the demo founder's application, not off the others.
    assert not reviews.filter(juror__email=CONFLICTED_JUROR, application__startup__slug="kezakoo").exists()
    assert reviews.filter(juror__email=CONFLICTED_JUROR).exists()
    assert ConflictDeclaration.objects.count() == 1
    assert reviews.earliest("pk").rubric.is_frozen
    # Enough scores for the normalisation to work: every scoring demo juror has at least two reviews.
    results = edition_results(submitted_applications[0].challenge.program)
    assert sum(stats.normalises for stats in results.jurors.values()) == 3


# --- The admin ----------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    from django.contrib.auth.models import Group

    from datacity.accounts.roles import PROGRAM_MANAGER

    manager = UserFactory.create(is_staff=True)
    manager.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    client.force_login(manager)
    return client


def test_the_admin_assigns_reviews_and_says_what_is_short(admin_client):
    program = ProgramFactory.create(reviews_per_application=2)
    challenge = ChallengeFactory.create(program=program)
    jury(challenge, 1)
    applications(challenge, 2)
    response = admin_client.post(
        reverse("admin:challenges_program_changelist"),
        {"action": "assign_reviews", "_selected_action": [program.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert Review.objects.count() == 2
    with translation.override("fr"):  # the admin speaks the platform's default language
        said = ngettext("%(program)s: %(count)d review assigned.", "%(program)s: %(count)d reviews assigned.", 2)
    assert escape(said % {"program": program, "count": 2}) in page
    assert "2 candidatures ne peuvent pas recevoir toutes leurs évaluations" in page  # and which, named


def test_the_admin_edits_an_unfrozen_rubric_and_shows_a_frozen_one_read_only(admin_client):
    from challenges.models import Rubric
    from challenges.rubrics import rubric_ensure, rubric_freeze

    program = ProgramFactory.create()
    rubric = rubric_ensure(program=program, actor=None)
    url = reverse("admin:challenges_rubric_change", args=[rubric.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="criteria-0-weight"' in page.content.decode()
    assert admin_client.get(reverse("admin:challenges_rubric_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:challenges_rubric_add")).status_code == 200
    rubric_freeze(rubric=rubric)
    page = admin_client.get(url).content.decode()
    assert 'name="criteria-0-weight"' not in page
    with translation.override("fr"):
        assert escape(gettext("Make a new version of the selected rubrics")) in page
    admin_client.post(
        reverse("admin:challenges_rubric_changelist"), {"action": "new_version", "_selected_action": [rubric.pk]}
    )
    assert Rubric.objects.filter(program=program).count() == 2


def test_the_admin_seats_jurors_through_the_service(admin_client):
    challenge = ChallengeFactory.create()
    assert admin_client.get(reverse("admin:challenges_challenge_change", args=[challenge.pk])).status_code == 200
    assert admin_client.get(reverse("admin:startups_conflictdeclaration_changelist")).status_code == 200


def test_saving_criteria_in_the_admin_goes_through_the_service(admin_client):
    from challenges.rubrics import rubric_ensure
    from datacity.audit.models import AuditEntry
    from tests.admin_forms import admin_change_data

    rubric = rubric_ensure(program=ProgramFactory.create(), actor=None)
    url = reverse("admin:challenges_rubric_change", args=[rubric.pk])
    data = admin_change_data(admin_client.get(url))
    data["criteria-0-weight"] = "3"
    data["criteria-4-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert list(rubric.criteria.values_list("weight", flat=True)) == [3, 1, 1, 1]
    assert AuditEntry.objects.filter(action="rubric.updated").count() == 1


def test_the_challenge_page_adds_a_juror_only_if_the_rule_allows(admin_client):
    from tests.admin_forms import admin_change_data

    challenge = ChallengeFactory.create()
    member, outsider = UserFactory.create(), UserFactory.create()
    JuryMembershipFactory.create(program=challenge.program, user=member)
    url = reverse("admin:challenges_challenge_change", args=[challenge.pk])
    data = admin_change_data(admin_client.get(url))
    data.update({"jurors-TOTAL_FORMS": "1", "jurors-0-user": str(outsider.pk), "jurors-0-challenge": challenge.pk})
    assert admin_client.post(url, data).status_code == 200
    assert not ChallengeJuror.objects.exists()
    data["jurors-0-user"] = str(member.pk)
    assert admin_client.post(url, data).status_code == 302
    assert ChallengeJuror.objects.get().user == member
    assert AuditEntry.objects.filter(action="challenge.juror_added").exists()
