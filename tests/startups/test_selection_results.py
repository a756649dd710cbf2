"""The jury's results (weighted scores, normalisation, ranking), staff's decisions and their publication, the
minutes, and who may open the selection pages."""

import csv
import io
import math
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from challenges.models import Criterion, Rubric
from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from startups import scoring, selection
from startups.models import (
    Application,
    ApplicationStatus,
    ConflictDeclaration,
    Decision,
    DecisionStage,
    Review,
    ReviewStatus,
    Score,
    Selection,
)
from tests.factories import (
    ChallengeFactory,
    PartnerFactory,
    ProgramFactory,
    StartupMembershipFactory,
    SubmittedApplicationFactory,
    UserFactory,
)
from tests.utils import assert_constant_queries, send_outbox

pytestmark = pytest.mark.django_db

Z = math.sqrt(1.5)  # 1.2247...: see the hand computation below


@pytest.fixture
def staff():
    return UserFactory.create(is_staff=True)


@pytest.fixture
def program():
    return ProgramFactory.create(slug="casa-2027")


@pytest.fixture
def challenge(program):
    return ChallengeFactory.create(program=program, co_sponsors=[PartnerFactory.create(name="Co-sponsor")])


@pytest.fixture
def criterion(program):
    rubric = Rubric.objects.create(program=program)
    return Criterion.objects.create(rubric=rubric, name="Impact", weight=Decimal("1"), scale_min=0, scale_max=10)


def review(application, juror, criterion, value, *, status=ReviewStatus.SUBMITTED, comment=""):
    made = Review.objects.create(
        application=application, juror=juror, rubric=criterion.rubric, status=status, submitted_at=timezone.now()
    )
    Score.objects.create(review=made, criterion=criterion, value=value, comment=comment)
    return made


def apps(challenge, *names):
    return [SubmittedApplicationFactory.create(challenge=challenge, startup__name=name) for name in names]


# --- Results -----------------------------------------------------------------------------------------------------


def test_a_harsh_and_a_lenient_juror_give_the_same_normalised_scores(program, challenge, criterion):
    """Hand computation (one criterion, weight 1, scale 0-10, so W = 10 x value):
    harsh juror   A=2, B=4, C=6  -> W 20, 40, 60;   mean 40, population std sqrt((400+0+400)/3) = 16.3299
    lenient juror A=6, B=8, C=10 -> W 60, 80, 100;  mean 80, population std 16.3299
    z per review, for both jurors: A (20-40)/16.33 = -1.2247, B 0, C +1.2247 (= sqrt(3/2)).
    Per application: weighted A (20+60)/2 = 40, B 60, C 80; normalised z A -1.2247, B 0, C +1.2247.
    Edition: mean of the six W = 360/6 = 60; population std sqrt((1600+400+0+0+400+1600)/6) = 25.8199;
    normalised on 0-100: A 60 - 1.2247 x 25.8199 = 28.377, B 60, C 91.623. Spread: 40 everywhere (flagged)."""
    a, b, c = apps(challenge, "A", "B", "C")
    harsh, lenient = UserFactory.create(), UserFactory.create()
    for application, low, high in ((a, 2, 6), (b, 4, 8), (c, 6, 10)):
        review(application, harsh, criterion, low)
        review(application, lenient, criterion, high)

    results = scoring.edition_results(program)

    by_juror: dict[int, list[float]] = {}
    for scored in sorted(results.reviews, key=lambda r: r.application_id):
        by_juror.setdefault(scored.juror_id, []).append(scored.z)
    assert by_juror[harsh.pk] == pytest.approx([-1.2247, 0, 1.2247], abs=1e-4)
    assert by_juror[lenient.pk] == pytest.approx([-1.2247, 0, 1.2247], abs=1e-4)
    assert results.jurors[harsh.pk].mean == pytest.approx(40)
    assert results.jurors[lenient.pk].mean == pytest.approx(80)
    assert results.jurors[harsh.pk].std == pytest.approx(16.3299, abs=1e-4)

    score_a, score_b, score_c = (results.applications[x.pk] for x in (a, b, c))
    assert (score_a.weighted, score_b.weighted, score_c.weighted) == pytest.approx((40, 60, 80))
    assert (score_a.raw_mean, score_c.raw_mean) == pytest.approx((40, 80))
    assert (score_a.z, score_b.z, score_c.z) == pytest.approx((-Z, 0, Z))
    assert results.overall_mean == pytest.approx(60)
    assert results.overall_std == pytest.approx(25.8199, abs=1e-4)
    assert (score_a.normalised, score_b.normalised, score_c.normalised) == pytest.approx((28.377, 60, 91.623), abs=1e-3)
    assert score_a.reviews == 2
    assert score_a.spread == pytest.approx(40)
    assert score_a.flagged

    ranking = scoring.ranked([a, b, c], results)
    assert [(row.rank, row.application.startup.name) for row in ranking] == [(1, "C"), (2, "B"), (3, "A")]


def test_normalisation_reorders_what_the_raw_scores_would_rank(program, challenge, criterion):
    """The harsh juror scores A, B, C (2, 4, 6: W 20, 40, 60), the lenient one D, E, F (6, 8, 10: W 60, 80, 100).
    Raw, E (80) is above C (60); normalised, C is its juror's best (z +1.2247) and E its juror's middle (z 0)."""
    a, b, c, d, e, f = apps(challenge, "A", "B", "C", "D", "E", "F")
    harsh, lenient = UserFactory.create(), UserFactory.create()
    for application, value in ((a, 2), (b, 4), (c, 6)):
        review(application, harsh, criterion, value)
    for application, value in ((d, 6), (e, 8), (f, 10)):
        review(application, lenient, criterion, value)

    results = scoring.edition_results(program)

    assert results.applications[c.pk].weighted < results.applications[e.pk].weighted
    assert results.applications[c.pk].raw_mean == pytest.approx(60)
    assert results.applications[e.pk].raw_mean == pytest.approx(80)
    assert results.applications[c.pk].z == pytest.approx(Z)
    assert results.applications[e.pk].z == pytest.approx(0)
    order = [row.application.startup.name for row in scoring.ranked([a, b, c, d, e, f], results)]
    # C and F tie on z (+1.2247): the weighted total breaks the tie (F 100 > C 60); A and D likewise.
    assert order == ["F", "C", "E", "B", "D", "A"]
    assert results.applications[c.pk].spread == 0
    assert not results.applications[c.pk].flagged


def test_weights_and_scales_make_criteria_comparable():
    """Criterion 1: weight 2, scale 0-10; criterion 2: weight 1, scale 1-5.
    Scores 10 and 1 -> rescaled 1.0 and 0.0: W = (2x1 + 1x0) / 3 = 66.667, raw mean (100 + 0) / 2 = 50."""
    rows = [
        scoring.ScoreRow(review_id=1, juror_id=1, application_id=7, weight=2, scale_min=0, scale_max=10, value=10),
        scoring.ScoreRow(review_id=1, juror_id=1, application_id=7, weight=1, scale_min=1, scale_max=5, value=1),
    ]
    result = scoring.compute(rows).applications[7]
    assert result.weighted == pytest.approx(66.6667, abs=1e-4)
    assert result.raw_mean == pytest.approx(50)


def test_the_spread_is_flagged_from_25_points():
    def rows(application_id, first, second):
        return [
            scoring.ScoreRow(application_id * 10, 1, application_id, 1, 0, 100, first),
            scoring.ScoreRow(application_id * 10 + 1, 2, application_id, 1, 0, 100, second),
        ]

    results = scoring.compute([*rows(1, 50, 75), *rows(2, 50, 74)])
    assert scoring.SPREAD_FLAG == 25
    assert results.applications[1].spread == pytest.approx(25)
    assert results.applications[1].flagged
    assert results.applications[2].spread == pytest.approx(24)
    assert not results.applications[2].flagged


def test_recused_and_draft_reviews_do_not_count_and_a_single_review_contributes_zero(program, challenge, criterion):
    a, b = apps(challenge, "A", "B")
    juror, lonely = UserFactory.create(), UserFactory.create()
    review(a, juror, criterion, 2)
    review(b, juror, criterion, 8)
    review(a, UserFactory.create(), criterion, 10, status=ReviewStatus.DRAFT)
    review(b, UserFactory.create(), criterion, 0, status=ReviewStatus.RECUSED)
    review(a, lonely, criterion, 9)

    results = scoring.edition_results(program)

    assert results.applications[a.pk].reviews == 2
    assert results.applications[b.pk].reviews == 1
    assert results.applications[b.pk].weighted == pytest.approx(80)
    assert not results.jurors[lonely.pk].normalises
    lonely_review = next(r for r in results.reviews if r.juror_id == lonely.pk)
    assert lonely_review.z == 0
    # A: the juror's z -1 (W 20 vs their mean 50, std 30) and the lonely juror's 0.
    assert results.applications[a.pk].z == pytest.approx(-0.5)
    assert len(results.jurors) == 2


# --- Decisions ---------------------------------------------------------------------------------------------------


def test_a_selection_needs_a_sponsoring_partner_of_the_challenge(staff, challenge):
    (application,) = apps(challenge, "Kezakoo")
    for sponsor in (None, PartnerFactory.create()):
        with pytest.raises(selection.SelectionRefused) as refused:
            selection.decision_set(application=application, actor=staff, stage=DecisionStage.SELECTED, sponsor=sponsor)
        assert refused.value.details["reason_code"] == "sponsor"
    assert AuditEntry.objects.filter(action="selection.decision_refused").count() == 2
    co_sponsor = challenge.co_sponsors.get()
    decision = selection.decision_set(
        application=application, actor=staff, stage=DecisionStage.SELECTED, sponsor=co_sponsor
    )
    assert decision.sponsor == co_sponsor
    assert decision.decided_by == staff
    selection.decision_set(application=application, actor=staff, stage=DecisionStage.SELECTED, sponsor=challenge.owner)


def test_only_staff_decide(challenge):
    (application,) = apps(challenge, "Kezakoo")
    member = application.startup.memberships.get().user
    with pytest.raises(selection.SelectionRefused) as refused:
        selection.decision_set(application=application, actor=member, stage=DecisionStage.SHORTLISTED)
    assert refused.value.details["reason_code"] == "not_staff"
    with pytest.raises(selection.SelectionRefused):
        selection.decisions_publish(program=challenge.program, actor=member)


def test_an_audition_needs_a_date_and_a_place_and_tells_the_startup(staff, challenge):
    (application,) = apps(challenge, "Kezakoo")
    with pytest.raises(selection.SelectionRefused) as refused:
        selection.audition_invite(application=application, actor=staff, audition_at=None, audition_place="Hall")
    assert refused.value.details["reason_code"] == "audition"

    when = timezone.now() + timedelta(days=3)
    selection.audition_invite(
        application=application, actor=staff, audition_at=when, audition_place="Technopark, room 4"
    )

    notices = Notification.objects.filter(kind="selection.audition")
    assert notices.count() == 1
    assert notices.get().recipient == application.startup.memberships.get().user
    mail = send_outbox()[-1]
    assert "Technopark, room 4" in mail.body
    local = timezone.localtime(when, challenge.program.time_zone)
    assert local.strftime("%Y-%m-%d %H:%M") in mail.body


def test_publication_is_refused_while_an_application_is_shortlisted_or_invited(staff, challenge):
    first, second = apps(challenge, "A", "B")
    selection.decision_set(application=first, actor=staff, stage=DecisionStage.SHORTLISTED)
    selection.decision_set(
        application=second,
        actor=staff,
        stage=DecisionStage.AUDITION,
        audition_at=timezone.now() + timedelta(days=1),
        audition_place="Hall",
    )
    with pytest.raises(selection.SelectionRefused) as refused:
        selection.decisions_publish(program=challenge.program, actor=staff)
    assert refused.value.details["reason_code"] == "undecided"
    assert "2" in str(refused.value)  # how many are still to decide (in the platform's language)
    assert not Notification.objects.filter(kind="selection.decided").exists()
    assert not Decision.objects.filter(published_at__isnull=False).exists()


def test_publication_tells_every_applicant_once_and_writes_the_selections(client, staff, challenge):
    chosen, shared, kept, pending = apps(challenge, "Chosen One", "Shared Feedback", "Kept Feedback", "Pending Co")
    StartupMembershipFactory.create(startup=chosen.startup)  # two members: two notices
    draft = SubmittedApplicationFactory.create(challenge=challenge, status=ApplicationStatus.DRAFT)
    selection.decision_set(application=chosen, actor=staff, stage=DecisionStage.SELECTED, sponsor=challenge.owner)
    selection.decision_set(
        application=shared,
        actor=staff,
        stage=DecisionStage.NOT_SELECTED,
        feedback="Measure the waiting time.",
        share_feedback=True,
    )
    selection.decision_set(
        application=kept, actor=staff, stage=DecisionStage.NOT_SELECTED, feedback="Internal only.", share_feedback=False
    )

    assert selection.decisions_publish(program=challenge.program, actor=staff) == 4

    notices = Notification.objects.filter(kind="selection.decided")
    assert notices.count() == 5
    members = set(StartupMembershipFactory._meta.model.objects.values_list("user_id", flat=True))
    draft_members = set(draft.startup.memberships.values_list("user_id", flat=True))
    assert set(notices.values_list("recipient_id", flat=True)) == members - draft_members
    assert notices.filter(context__stage="selected").count() == 2
    assert notices.get(recipient__startups=shared.startup).context["feedback"] == "Measure the waiting time."
    assert notices.get(recipient__startups=kept.startup).context["feedback"] == ""
    assert Decision.objects.get(application=pending).stage == DecisionStage.NOT_SELECTED

    made = Selection.objects.get()
    assert (made.startup, made.program, made.challenge, made.sponsor) == (
        chosen.startup,
        challenge.program,
        challenge,
        challenge.owner,
    )
    assert made.selected_on == timezone.localdate(timezone.now(), challenge.program.time_zone)
    html = client.get("/en/startups/").content.decode()
    assert "Chosen One" in html
    assert "Kept Feedback" not in html

    bodies = {mail.to[0]: mail.body for mail in send_outbox()}
    shared_member = shared.startup.memberships.get().user.email
    kept_member = kept.startup.memberships.get().user.email
    assert "Measure the waiting time." in bodies[shared_member]
    assert "Internal only." not in bodies[kept_member]

    # A second publication tells nobody anything new.
    assert selection.decisions_publish(program=challenge.program, actor=staff) == 0
    assert Notification.objects.filter(kind="selection.decided").count() == 5


def test_a_published_selection_corrected_to_not_selected_removes_the_selection(staff, challenge):
    (chosen,) = apps(challenge, "Chosen One")
    selection.decision_set(application=chosen, actor=staff, stage=DecisionStage.SELECTED, sponsor=challenge.owner)
    selection.decisions_publish(program=challenge.program, actor=staff)
    assert Selection.objects.count() == 1

    with pytest.raises(selection.SelectionRefused) as refused:
        selection.decision_set(application=chosen, actor=staff, stage=DecisionStage.SHORTLISTED)
    assert refused.value.details["reason_code"] == "published"

    selection.decision_set(application=chosen, actor=staff, stage=DecisionStage.NOT_SELECTED, reason="Withdrew.")

    assert not Selection.objects.exists()
    notices = Notification.objects.filter(kind="selection.decided")
    assert sorted(notices.values_list("context__stage", flat=True)) == ["not_selected", "selected"]
    assert AuditEntry.objects.filter(action="selection.deleted").count() == 1


# --- Pages -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "member", "partner", "juror"])
def test_only_staff_open_the_selection_pages(client, challenge, criterion, who):
    (application,) = apps(challenge, "A")
    juror = UserFactory.create()
    review(application, juror, criterion, 5)
    users = {
        "member": application.startup.memberships.get().user,
        "partner": UserFactory.create(),
        "juror": juror,
    }
    if who == "partner":
        challenge.owner.memberships.create(user=users["partner"])
    if who != "anonymous":
        client.force_login(users[who])
    slug = challenge.program.slug
    for url in (f"/en/staff/selection/{slug}/", f"/en/staff/selection/{slug}/minutes/?format=csv"):
        assert client.get(url).status_code == 404
    response = client.post(
        f"/en/staff/selection/{slug}/decide/", {"application": application.pk, "stage": "not_selected"}
    )
    assert response.status_code == 404
    assert not Decision.objects.exists()
    assert AuditEntry.objects.filter(action="access.refused").count() >= 3


def test_staff_decide_and_publish_from_the_results_page(client, staff, challenge, criterion):
    first, second = apps(challenge, "First Co", "Second Co")
    review(first, UserFactory.create(), criterion, 9)
    client.force_login(staff)
    url = f"/en/staff/selection/{challenge.program.slug}/"

    html = client.get(url).content.decode()
    assert "First Co" in html
    assert "Method" in html
    assert "Publish all decisions" in html

    decide = url + "decide/"
    client.post(decide, {"application": first.pk, "stage": "selected", "sponsor": "", "reason": "Best"})
    assert not Decision.objects.exists()  # refused: no sponsor, shown as a message
    response = client.post(
        decide,
        {"application": first.pk, "stage": "selected", "sponsor": challenge.owner.pk, "reason": "Best"},
        follow=True,
    )
    assert "decision saved" in response.content.decode()
    client.post(
        decide,
        {
            "application": second.pk,
            "stage": "audition",
            "audition_at": "2030-05-04T10:30",
            "audition_place": "City hall",
        },
    )
    decision = Decision.objects.get(application=second)
    assert timezone.localtime(decision.audition_at, challenge.program.time_zone).strftime("%H:%M") == "10:30"
    assert Notification.objects.filter(kind="selection.audition").count() == 1

    client.post(decide, {"action": "publish", "confirm": "on"})
    assert not Decision.objects.filter(published_at__isnull=False).exists()  # the audition is undecided
    client.post(decide, {"application": second.pk, "stage": "not_selected"})
    client.post(decide, {"action": "publish"})  # not confirmed
    assert not Decision.objects.filter(published_at__isnull=False).exists()
    client.post(decide, {"action": "publish", "confirm": "on"})
    assert Decision.objects.filter(published_at__isnull=False).count() == 2
    assert Selection.objects.get().startup == first.startup


def test_the_minutes_csv_holds_criteria_scores_conflicts_and_decisions_safely(client, staff, challenge, criterion):
    (application,) = apps(challenge, "=HYPERLINK(1)")
    juror = UserFactory.create(full_name="Juror One")
    review(application, juror, criterion, 7, comment="+cmd|' /C calc'!A0")
    ConflictDeclaration.objects.create(juror=juror, organisation="Family Co", description="-my cousin")
    recuser = UserFactory.create(full_name="Juror Two")
    declaration = ConflictDeclaration.objects.create(
        juror=recuser, startup=application.startup, description="Former colleague"
    )
    Review.objects.create(
        application=application,
        juror=recuser,
        rubric=criterion.rubric,
        status=ReviewStatus.RECUSED,
        recusal=declaration,
    )
    selection.decision_set(application=application, actor=staff, stage=DecisionStage.NOT_SELECTED, reason="@low")
    client.force_login(staff)

    response = client.get(f"/en/staff/selection/{challenge.program.slug}/minutes/?format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    kinds = {row[0] for row in rows}
    assert {"criterion", "score", "conflict", "recusal", "decision"} <= kinds
    assert ["criterion", str(criterion.rubric.pk), "", "1", "Impact", "1.00", "0", "10"] in rows
    score = next(row for row in rows if row[0] == "score")
    assert score[2:7] == ["'=HYPERLINK(1)", "Juror One", "1", "Impact", "7"]
    assert score[7] == "'+cmd|' /C calc'!A0"
    conflicts = [row for row in rows if row[0] == "conflict"]
    assert any(row[5] == "Family Co" and row[7] == "'-my cousin" and row[2] for row in conflicts)
    assert any(row[1] == "Juror Two" for row in rows if row[0] == "recusal")
    decision = next(row for row in rows if row[0] == "decision")
    assert decision[3] == "not_selected"
    assert decision[7] == "'@low"
    assert decision[10] == (staff.full_name or staff.email)
    assert decision[11]
    assert not any(cell[:1] in "=+-@" for row in rows for cell in row if cell)

    html = client.get(f"/en/staff/selection/{challenge.program.slug}/minutes/").content.decode()
    assert "Former colleague" in html
    assert "Juror One" in html


def test_the_selection_pages_cost_the_same_queries_at_5_and_50_applications(client, staff, challenge, criterion):
    jurors = [UserFactory.create() for _ in range(3)]
    client.force_login(staff)

    def grow(n: int) -> None:
        while Application.objects.count() < n:
            (application,) = apps(challenge, f"Startup {Application.objects.count()}")
            for index, juror in enumerate(jurors):
                review(application, juror, criterion, (application.pk + index) % 11)
            selection.decision_set(application=application, actor=staff, stage=DecisionStage.SHORTLISTED)
            ConflictDeclaration.objects.create(juror=jurors[0], startup=application.startup, description="Link")

    slug = challenge.program.slug
    assert_constant_queries(client, f"/en/staff/selection/{slug}/", grow, at_most=20)
    Application.objects.all().delete()
    assert_constant_queries(client, f"/en/staff/selection/{slug}/minutes/", grow, at_most=20)
