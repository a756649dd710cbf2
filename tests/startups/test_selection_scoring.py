"""Scoring an application: the juror's scoring page beside the read-only application, drafts then submission inside
the evaluation window, the scales, the rubric's freezing, conflicts of interest (404, audited), blind review, query
counts and hostile input.

The pages speak the default language (French): assertions read statuses, names, codes and `reason_code`s, not
sentences.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from challenges.models import JuryMembership, PhaseKind
from datacity.audit.models import AuditEntry
from startups import reviews
from startups.models import Answer, Attachment, ConflictDeclaration, Question, QuestionKind, ReviewStatus, Score
from tests.factories import (
    ChallengeFactory,
    CriterionFactory,
    PhaseFactory,
    ProgramFactory,
    ReviewFactory,
    RubricFactory,
    StartupFactory,
    StartupMembershipFactory,
    SubmittedApplicationFactory,
    UserFactory,
    open_selection,
)
from tests.utils import get_counting_queries

pytestmark = pytest.mark.django_db


class World:
    """An edition whose evaluation is open, a challenge, a submitted application, a rubric of three criteria (the
    last on a 1-20 scale, shown as a number input) and a juror's cleared review."""

    def __init__(self, *, blind: bool = False, window: str = "open", criteria: int = 3):
        self.program = ProgramFactory.create(blind_review=blind)
        now = timezone.now()
        if window == "open":
            self.phase = open_selection(self.program)
        elif window == "closed":
            self.phase = PhaseFactory.create(
                program=self.program, kind=PhaseKind.SELECTION, starts_at=now - timedelta(days=5), ends_at=now
            )
        elif window == "upcoming":
            self.phase = PhaseFactory.create(
                program=self.program,
                kind=PhaseKind.SELECTION,
                starts_at=now + timedelta(seconds=30),
                ends_at=now + timedelta(days=5),
            )
        self.challenge = ChallengeFactory.create(program=self.program)
        self.startup = StartupFactory.create(name="Ombrelle Urbaine")
        self.application = SubmittedApplicationFactory.create(challenge=self.challenge, startup=self.startup)
        self.rubric = RubricFactory.create(program=self.program)
        self.criteria = [CriterionFactory.create(rubric=self.rubric, order=n) for n in range(criteria - 1)]
        self.criteria.append(CriterionFactory.create(rubric=self.rubric, order=99, scale_min=1, scale_max=20))
        self.review = ReviewFactory.create(application=self.application, rubric=self.rubric)
        self.juror = self.review.juror

    @property
    def url(self) -> str:
        return reverse("jury:review", kwargs={"pk": self.review.pk})

    def post(self, client, action: str = "save", comment: str = "", **scores):
        """POST the form: `scores` maps "score_<pk>" / "comment_<pk>" to what the juror typed."""
        return client.post(self.url, {"action": action, "comment": comment, **scores})


def score_key(criterion) -> str:
    return f"score_{criterion.pk}"


def refusals(reason_code: str):
    return AuditEntry.objects.filter(action="review.refused", details__reason_code=reason_code)


def save(world, *, scores, comments=None, comment="", submit=False, now=None, juror=None):
    return reviews.review_save(
        review=world.review,
        juror=juror or world.juror,
        scores=scores,
        comments=comments or {},
        comment=comment,
        submit=submit,
        now=now,
    )


@pytest.fixture
def world():
    return World()


# --- Drafts and submission -----------------------------------------------------------------------------------------


def test_a_juror_saves_a_draft_then_submits_then_changes_the_submitted_review(client, world):
    first, second, third = world.criteria
    client.force_login(world.juror)
    page = client.get(world.url)
    assert page.status_code == 200
    assert first.name in page.content.decode()
    assert 'name="action" value="submit"' in page.content.decode()

    response = world.post(client, **{score_key(first): "4", f"comment_{first.pk}": "Clear\nand measured."})
    assert response.status_code == 302
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.DRAFT
    assert world.review.submitted_at is None
    assert Score.objects.get(review=world.review, criterion=first).comment == "Clear\nand measured."
    saved = AuditEntry.objects.get(action="review.saved")
    assert saved.details["scores"] == {str(first.pk): 4}
    assert saved.actor == world.juror

    response = world.post(
        client, "submit", "Promising.", **{score_key(first): "4", score_key(second): "0", score_key(third): "17"}
    )
    assert response.status_code == 302
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.SUBMITTED
    assert world.review.comment == "Promising."
    submitted_at = world.review.submitted_at
    assert submitted_at is not None
    entry = AuditEntry.objects.get(action="review.submitted")
    assert entry.details["scores"] == {str(first.pk): 4, str(second.pk): 0, str(third.pk): 17}

    # Submitted, it may still be changed while the window is open: it stays submitted, with a new date.
    page = client.get(world.url).content.decode()
    assert 'value="save"' not in page
    assert 'name="action" value="submit"' in page
    response = world.post(
        client, "submit", "Promising.", **{score_key(first): "5", score_key(second): "0", score_key(third): "17"}
    )
    assert response.status_code == 302
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.SUBMITTED
    assert world.review.submitted_at > submitted_at
    assert Score.objects.get(review=world.review, criterion=first).value == 5


def test_submitting_an_incomplete_review_is_refused_naming_what_is_missing_and_loses_nothing(client, world):
    first, second, third = world.criteria
    save(world, scores={first.pk: 3})
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={second.pk: 2}, submit=True)
    assert refused.value.details["reason_code"] == "incomplete"
    assert refused.value.details["missing"] == [third.pk]
    assert third.name in str(refused.value)
    assert first.name not in str(refused.value)

    client.force_login(world.juror)
    response = world.post(client, "submit", "Typed and kept.", **{score_key(second): "2"})
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[html.index("error-summary") :]
    summary = summary[: summary.index("</div>")]
    assert third.name in summary
    assert second.name not in summary
    assert f'id="id_score_{second.pk}_3" checked' in html  # the value typed is still on the page (0..5: 3rd button)
    assert "Typed and kept." in html
    # Nothing half-stored: the saved draft is as it was.
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.DRAFT
    assert world.review.comment == ""
    assert dict(Score.objects.filter(review=world.review).values_list("criterion_id", "value")) == {first.pk: 3}
    assert refusals("incomplete").count() == 2


def test_a_value_out_of_the_scale_is_refused_naming_the_criterion(client, world):
    first, _second, third = world.criteria
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={third.pk: 21})
    assert refused.value.details["reason_code"] == "out_of_scale"
    assert third.name in str(refused.value)
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={first.pk: -1})
    assert refused.value.details["reason_code"] == "out_of_scale"

    client.force_login(world.juror)
    response = world.post(client, **{score_key(first): "9"})
    assert response.status_code == 400
    assert not Score.objects.exists()
    assert refusals("out_of_scale").count() == 3


def test_a_criterion_of_another_rubric_is_refused(world):
    other = CriterionFactory.create()
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={other.pk: 2})
    assert refused.value.details["reason_code"] == "unknown_criterion"
    assert not Score.objects.exists()


def test_a_comment_without_a_score_is_refused_rather_than_dropped(world):
    first = world.criteria[0]
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={first.pk: None}, comments={first.pk: "A thought"})
    assert refused.value.details["reason_code"] == "comment_without_score"
    assert first.name in str(refused.value)


def test_clearing_a_score_in_a_draft_removes_it(world):
    first = world.criteria[0]
    save(world, scores={first.pk: 2})
    save(world, scores={first.pk: None})
    assert not Score.objects.exists()


# --- The evaluation window -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["closed", "upcoming"])
def test_scores_are_refused_outside_the_evaluation_window(client, window):
    world = World(window=window)
    first = world.criteria[0]
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={first.pk: 2})
    assert refused.value.details["reason_code"] == "window_closed"

    client.force_login(world.juror)
    page = client.get(world.url)
    assert page.status_code == 200
    assert "<fieldset disabled>" in page.content.decode()
    response = world.post(client, "submit", **{score_key(c): "2" for c in world.criteria})
    assert response.status_code == 400
    assert not Score.objects.exists()
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.DRAFT
    assert refusals("window_closed").count() == 2


def test_the_window_is_checked_at_the_moment_of_the_save(world):
    """A page opened before the end does not let scores in after it."""
    first = world.criteria[0]
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={first.pk: 2}, now=world.phase.ends_at)
    assert refused.value.details["reason_code"] == "window_closed"
    save(world, scores={first.pk: 2}, now=world.phase.ends_at - timedelta(seconds=1))


def test_an_edition_without_an_evaluation_phase_takes_no_score(world):
    world.phase.delete()
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={world.criteria[0].pk: 2})
    assert refused.value.details["reason_code"] == "no_window"


# --- The rubric ----------------------------------------------------------------------------------------------------


def test_the_first_saved_score_freezes_the_rubric(world):
    save(world, scores={}, comment="Reading it first.")
    world.rubric.refresh_from_db()
    assert world.rubric.frozen_at is None
    now = timezone.now()
    save(world, scores={world.criteria[0].pk: 1}, now=now)
    world.rubric.refresh_from_db()
    assert world.rubric.frozen_at == now
    save(world, scores={world.criteria[1].pk: 1}, now=now + timedelta(minutes=5))
    world.rubric.refresh_from_db()
    assert world.rubric.frozen_at == now


# --- Who may open the review ---------------------------------------------------------------------------------------


def _member(world):
    StartupMembershipFactory.create(startup=world.startup, user=world.juror)


def _declared_startup(world):
    ConflictDeclaration.objects.create(juror=world.juror, startup=world.startup, description="My cousin's company")


def _declared_organisation(world):
    ConflictDeclaration.objects.create(
        juror=world.juror, organisation=world.startup.name.upper(), description="I advised them"
    )


@pytest.mark.parametrize("link", [_member, _declared_startup, _declared_organisation])
def test_a_conflicted_juror_gets_404_on_the_review_and_it_is_audited(client, world, link):
    link(world)
    client.force_login(world.juror)
    assert client.get(world.url).status_code == 404
    response = world.post(client, "submit", **{score_key(c): "2" for c in world.criteria})
    assert response.status_code == 404
    refused = AuditEntry.objects.filter(action="access.refused", object_id=str(world.review.pk))
    assert refused.count() == 2
    assert not Score.objects.exists()
    assert world.review not in reviews.reviews_of_juror(world.juror)
    # The service checks again at write time (a declaration made while the page was open).
    with pytest.raises(reviews.ReviewRefused) as refusal:
        save(world, scores={world.criteria[0].pk: 2})
    assert refusal.value.details["reason_code"] == "conflicted"
    assert refusals("conflicted").count() == 1


def test_another_jurors_review_is_404_and_audited(client, world):
    other = ReviewFactory.create(application=world.application, rubric=world.rubric)
    client.force_login(other.juror)
    assert client.get(world.url).status_code == 404
    assert world.post(client, **{score_key(world.criteria[0]): "2"}).status_code == 404
    assert AuditEntry.objects.filter(action="access.refused", object_id=str(world.review.pk)).count() == 2
    assert not Score.objects.exists()
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={world.criteria[0].pk: 2}, juror=other.juror)
    assert refused.value.details["reason_code"] == "not_juror"


def test_the_page_never_shows_another_jurors_scores(client, world):
    other = ReviewFactory.create(application=world.application, rubric=world.rubric, comment="OTHER-OVERALL")
    Score.objects.create(review=other, criterion=world.criteria[0], value=5, comment="OTHER-COMMENT")
    client.force_login(world.juror)
    html = client.get(world.url).content.decode()
    assert "OTHER-OVERALL" not in html
    assert "OTHER-COMMENT" not in html


def test_an_undeclared_review_sends_the_juror_to_the_declaration(client, world):
    world.review.status, world.review.cleared_at = ReviewStatus.ASSIGNED, None
    world.review.save()
    client.force_login(world.juror)
    response = client.get(world.url)
    assert response.status_code == 302
    assert response["Location"] == reverse("jury:declare", kwargs={"pk": world.review.pk})
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={world.criteria[0].pk: 2})
    assert refused.value.details["reason_code"] == "not_cleared"


def test_an_undeclared_review_of_a_conflicted_startup_is_404(client, world):
    world.review.status, world.review.cleared_at = ReviewStatus.ASSIGNED, None
    world.review.save()
    _member(world)
    client.force_login(world.juror)
    assert client.get(world.url).status_code == 404


def test_a_juror_removed_from_the_jury_no_longer_opens_or_scores_the_review(client, world):
    JuryMembership.objects.filter(user=world.juror).delete()
    client.force_login(world.juror)
    assert client.get(world.url).status_code == 404
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={world.criteria[0].pk: 2})
    assert refused.value.details["reason_code"] == "not_juror"


def test_a_recused_review_is_404_and_takes_no_score(client, world):
    world.review.status = ReviewStatus.RECUSED
    world.review.save()
    client.force_login(world.juror)
    assert client.get(world.url).status_code == 404
    with pytest.raises(reviews.ReviewRefused) as refused:
        save(world, scores={world.criteria[0].pk: 2})
    assert refused.value.details["reason_code"] == "recused"


def test_anonymous_visitors_are_sent_to_the_login(client, world):
    response = client.get(world.url)
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- Blind review --------------------------------------------------------------------------------------------------


def _with_file(world, name: str) -> Attachment:
    question = Question.objects.filter(program=world.program, kind=QuestionKind.FILE).first()
    if question is None:
        question = Question.objects.create(program=world.program, label="Pitch deck", kind=QuestionKind.FILE)
    attachment = Attachment.objects.create(
        application=world.application,
        question=question,
        file=f"attachments/{name}",
        name=name,
        content_type="application/pdf",
        size=1234,
        sha256="0" * 64,
        uploaded_by=StartupMembershipFactory.create(startup=world.startup).user,
    )
    answer, _created = Answer.objects.get_or_create(
        application=world.application, question=question, defaults={"value": []}
    )
    answer.value = [*(answer.value or []), attachment.pk]
    answer.save()
    return attachment


@pytest.mark.parametrize("blind", [True, False])
def test_blind_review_hides_the_startup(client, blind):
    world = World(blind=blind)
    _with_file(world, "Ombrelle Urbaine deck.pdf")
    uploader = Attachment.objects.get().uploaded_by
    assert uploader is not None
    client.force_login(world.juror)
    html = client.get(world.url).content.decode()
    assert world.application.solution in html
    assert ("Ombrelle Urbaine" in html) is not blind
    assert uploader.full_name not in html
    assert uploader.email not in html
    english = client.get(f"/en{world.url}").content.decode()
    assert (f"Application #{world.application.pk}" in english) is blind


# --- Query counts --------------------------------------------------------------------------------------------------


def test_the_page_makes_the_same_queries_whatever_the_criteria_and_files(client):
    counts = []
    for criteria, files in [(2, 1), (8, 5)]:
        world = World(criteria=criteria)
        for n in range(files):
            _with_file(world, f"file-{n}.pdf")
        Score.objects.bulk_create(
            Score(review=world.review, criterion=criterion, value=criterion.scale_min) for criterion in world.criteria
        )
        client.force_login(world.juror)
        response, count = get_counting_queries(client, world.url)
        assert response.status_code == 200
        counts.append(count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 16, counts


# --- Hostile input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda w: {"action": "save", "comment": "x" * 100_000}, id="long-comment"),
        pytest.param(lambda w: {"action": "save", f"comment_{w.criteria[0].pk}": "x" * 100_000}, id="long-criterion"),
        pytest.param(lambda w: {"action": "save", score_key(w.criteria[0]): "abc"}, id="letters"),
        pytest.param(lambda w: {"action": "save", score_key(w.criteria[0]): "2\n3"}, id="multi-line-score"),
        pytest.param(lambda w: {"action": "save", score_key(w.criteria[0]): "1e3"}, id="float"),
        pytest.param(lambda w: {"action": "save", "comment": "nul\x00byte"}, id="nul"),
        pytest.param(lambda w: {score_key(w.criteria[0]): "2"}, id="no-action"),
        pytest.param(lambda w: {"action": "publish", score_key(w.criteria[0]): "2"}, id="unknown-action"),
        pytest.param(lambda w: {}, id="empty"),
    ],
)
def test_hostile_input_gets_the_form_back_and_stores_nothing(client, world, data):
    client.force_login(world.juror)
    valid = {score_key(c): "1" for c in world.criteria}
    response = client.post(world.url, {**valid, **data(world)})
    assert response.status_code == 400
    assert b"error-summary" in response.content
    assert b'name="action"' in response.content
    assert not Score.objects.exists()
    world.review.refresh_from_db()
    assert world.review.comment == ""
    assert world.review.status == ReviewStatus.DRAFT


def test_a_multi_line_comment_is_kept_as_typed(client, world):
    client.force_login(world.juror)
    first = world.criteria[0]
    comment = "First line\r\nSecond line\n\n  indented"
    response = world.post(client, comment=comment, **{score_key(first): "3", f"comment_{first.pk}": comment})
    assert response.status_code == 302
    world.review.refresh_from_db()
    assert "Second line" in world.review.comment
    assert world.review.comment.count("\n") >= 2
    assert "Second line" in Score.objects.get().comment


def test_the_juror_sees_their_saved_values_again(client, world):
    first, _second, third = world.criteria
    save(world, scores={first.pk: 4, third.pk: 12}, comments={third.pk: "Ambitious"}, comment="So far so good")
    client.force_login(world.juror)
    html = client.get(world.url).content.decode()
    assert f'id="id_score_{first.pk}_5" checked' in html  # 0..5: the fifth button is 4
    assert 'value="12"' in html
    assert "Ambitious" in html
    assert "So far so good" in html


def test_other_users_have_no_other_way_in(client, world):
    """A member of the startup, a partner's member, staff: none of them reaches a juror's review."""
    for user in (
        StartupMembershipFactory.create(startup=world.startup).user,
        UserFactory.create(is_staff=True, is_superuser=True),
    ):
        client.force_login(user)
        assert client.get(world.url).status_code == 404


def test_the_page_speaks_every_language(client, world):
    from django.utils import translation

    client.force_login(world.juror)
    for language in ("ar", "en", "fr"):
        with translation.override(language):
            url = reverse("jury:review", kwargs={"pk": world.review.pk})
        response = client.get(url)
        assert response.status_code == 200
        assert (b'<html lang="ar" dir="rtl">' in response.content) is (language == "ar")


# --- In a real browser ---------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_juror_scores_in_a_browser_and_the_page_has_no_accessibility_violation(live_server, page_logged_in_as):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    world = World()
    first, second, third = world.criteria
    page = page_logged_in_as(world.juror)
    axe = Axe()
    problems = []
    for prefix in ("/en", "/ar"):
        page.goto(f"{live_server.url}{prefix}{reverse('jury:review', kwargs={'pk': world.review.pk})}")
        for violation in axe.run(page).response["violations"]:
            problems.append(
                f"{prefix}: {violation['id']}: {violation['help']} {[n['target'] for n in violation['nodes']][:3]}"
            )
    assert problems == [], "\n".join(problems)

    page.goto(f"{live_server.url}/en{world.url}")
    expect(page.locator(".deadline-date")).to_contain_text("Scores are accepted until")
    page.locator(f"#id_score_{first.pk}_4").check()
    page.get_by_label(f"Comment on “{first.name}”").fill("Clear and measured.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Draft saved")
    assert Score.objects.get(criterion=first).value == 3

    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text(second.name)
    page.locator(f"#id_score_{second.pk}_1").check()
    page.get_by_label(f"Score for “{third.name}”").fill("15")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("submitted")
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.SUBMITTED
    assert dict(Score.objects.values_list("criterion_id", "value")) == {first.pk: 3, second.pk: 0, third.pk: 15}
    for violation in axe.run(page).response["violations"]:
        problems.append(f"after submit: {violation['id']}: {violation['help']}")
    assert problems == [], "\n".join(problems)


# --- The application's files -----------------------------------------------------------------------------------------


def _stored_file(world) -> Attachment:
    from django.core.files.base import ContentFile

    attachment = _with_file(world, "deck.pdf")
    attachment.file.save("deck.pdf", ContentFile(b"%PDF-1.4 deck"), save=True)
    return attachment


@pytest.mark.parametrize(
    ("blind", "status", "expected"),
    [
        (False, ReviewStatus.DRAFT, 200),  # declared free of conflict: the juror reads the files
        (False, ReviewStatus.SUBMITTED, 200),
        (False, ReviewStatus.ASSIGNED, 404),  # nothing before the declaration
        (False, ReviewStatus.RECUSED, 404),
        (True, ReviewStatus.DRAFT, 404),  # blind review: the files could name the startup
    ],
)
def test_a_juror_downloads_the_files_of_a_declared_review_only(client, blind, status, expected):
    world = World(blind=blind)
    attachment = _stored_file(world)
    world.review.status = status
    world.review.save()
    client.force_login(world.juror)
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == b"%PDF-1.4 deck"
        assert f'href="{attachment.get_absolute_url()}"' in client.get(world.url).content.decode()
    # The application's page itself (which names the startup) stays closed to jurors.
    assert client.get(world.application.get_absolute_url()).status_code == 404


def test_a_conflicted_juror_never_downloads_the_files(client, world):
    attachment = _stored_file(world)
    ConflictDeclaration.objects.create(juror=world.juror, startup=world.startup, description="Shareholder")
    client.force_login(world.juror)
    assert client.get(attachment.get_absolute_url()).status_code == 404
    assert AuditEntry.objects.filter(action="access.refused").exists()
