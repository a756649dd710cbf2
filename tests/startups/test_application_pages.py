"""The applicants' pages: applying (eligibility first), the form with its files, the detail, withdrawing, a startup's
list, downloads; who sees what; what a refused save keeps on the page; query counts.

The pages speak the default language (French): assertions read statuses, rows, codes and `reason_code`s, not
sentences.
"""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from startups.models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    EligibilityCondition,
    Question,
    QuestionKind,
)
from tests.factories import (
    ChallengeFactory,
    PartnerMembershipFactory,
    PhaseFactory,
    ProgramFactory,
    StartupFactory,
    StartupMembershipFactory,
    UserFactory,
    open_call,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXECUTABLE = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 200


@pytest.fixture
def call():
    """A published challenge whose edition's call is open, with a required question, an optional one, a file
    question and an eligibility condition."""
    program = ProgramFactory.create()
    phase = open_call(program)
    challenge = ChallengeFactory.create(program=program)
    return type(
        "Call",
        (),
        {
            "phase": phase,
            "program": program,
            "challenge": challenge,
            "traction": Question.objects.create(program=program, order=1, label="Your traction?", required=True),
            "more": Question.objects.create(
                program=program, order=2, label="Anything else?", kind=QuestionKind.LONG_TEXT
            ),
            "deck": Question.objects.create(
                program=program, order=3, label="Your pitch deck", kind=QuestionKind.FILE, challenge=challenge
            ),
            "condition": EligibilityCondition.objects.create(program=program, statement="Registered in Morocco"),
        },
    )


@pytest.fixture
def founders():
    first = StartupMembershipFactory.create()
    second = StartupMembershipFactory.create(startup=first.startup)
    return first.startup, first.user, second.user


def apply_url(challenge) -> str:
    return reverse("startups:apply", kwargs={"challenge": challenge.pk})


def edit_url(application) -> str:
    return reverse("startups:application_edit", kwargs={"pk": application.pk})


def detail_url(application) -> str:
    return reverse("startups:application", kwargs={"pk": application.pk})


def complete(call, application, **extra):
    return {
        "revision": application.revision,
        "solution": "Sensors on every tram.",
        "data_use": "Ridership data.",
        "team": "Three engineers.",
        "stage": "prototype",
        f"eligibility_{call.condition.pk}": "yes",
        f"question_{call.traction.pk}": "1,000 users",
        "action": "submit",
        **extra,
    }


def started(call, startup, user, client) -> Application:
    """The eligibility step answered yes: a draft exists."""
    client.force_login(user)
    response = client.post(apply_url(call.challenge), {f"eligibility_{call.condition.pk}": "yes"})
    application = Application.objects.get(startup=startup, challenge=call.challenge)
    assert response.status_code == 302
    assert response["Location"] == edit_url(application)
    return application


def stored_files(path: str = "applications") -> set[str]:
    if not default_storage.exists(path):
        return set()
    folders, files = default_storage.listdir(path)
    found = {f"{path}/{name}" for name in files}
    for folder in folders:
        found |= stored_files(f"{path}/{folder}")
    return found


def field_codes(response, name: str) -> set[str]:
    return {error.code for error in response.context["form"].errors.as_data().get(name, [])}


# --- The flow ---------------------------------------------------------------------------------------------------


def test_two_visits_eligibility_then_draft_then_submission_with_a_file_then_a_second_version(client, call, founders):
    startup, first, second = founders
    client.force_login(first)
    eligibility = client.get(apply_url(call.challenge))
    assert eligibility.status_code == 200
    assert eligibility.context["step"] == "eligibility"

    application = started(call, startup, first, client)
    assert application.status == ApplicationStatus.DRAFT
    assert application.eligibility == {str(call.condition.pk): True}

    # First visit: a draft, incomplete.
    page = client.get(edit_url(application))
    assert page.status_code == 200
    assert page.context["actions"] == ["save", "submit"]
    response = client.post(
        edit_url(application), {"revision": application.revision, "solution": "An idea.", "action": "save"}
    )
    assert response.status_code == 302
    assert response["Location"] == detail_url(application)
    application.refresh_from_db()
    assert (application.status, application.solution, application.last_saved_by) == ("draft", "An idea.", first)

    # Second visit, by the other founder: complete, with a file, submitted.
    client.force_login(second)
    deck = SimpleUploadedFile("deck.pdf", PDF, content_type="application/pdf")
    response = client.post(edit_url(application), complete(call, application, **{f"question_{call.deck.pk}": deck}))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    attachment = Attachment.objects.get(application=application)
    assert Answer.objects.get(application=application, question=call.deck).value == [attachment.pk]
    assert Notification.objects.filter(kind="application.submitted", recipient=first).exists()
    assert Notification.objects.filter(kind="application.submitted", recipient=second).exists()

    detail = client.get(detail_url(application))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert attachment.get_absolute_url() in html
    assert "1,000 users" in html

    # Changes after the submission, by the first founder: the file kept, no draft offered, a second version.
    client.force_login(first)
    page = client.get(edit_url(application))
    assert page.context["actions"] == ["submit"]
    assert 'value="save"' not in page.content.decode()
    response = client.post(
        edit_url(application),
        complete(call, application, solution="Better sensors.", **{f"keep_{call.deck.pk}": [attachment.pk]}),
    )
    assert response.status_code == 302
    versions = list(application.versions.values_list("number", "content__solution", "submitted_by"))
    assert versions == [(1, "Sensors on every tram.", second.pk), (2, "Better sensors.", first.pk)]
    assert Answer.objects.get(application=application, question=call.deck).value == [attachment.pk]


def test_a_no_to_a_condition_says_which_and_shows_no_form(client, call, founders):
    startup, first, _second = founders
    other = EligibilityCondition.objects.create(program=call.program, statement="Founded after 2015")
    client.force_login(first)

    response = client.post(
        apply_url(call.challenge), {f"eligibility_{call.condition.pk}": "yes", f"eligibility_{other.pk}": "no"}
    )

    application = Application.objects.get(startup=startup)
    assert application.eligibility == {str(call.condition.pk): True, str(other.pk): False}
    assert response["Location"] == detail_url(application)
    detail = client.get(detail_url(application))
    assert detail.context["unmet"] == [other]
    assert "Founded after 2015" in detail.content.decode()
    assert 'name="action"' not in detail.content.decode()
    assert not application.versions.exists()


def test_the_eligibility_step_needs_every_answer(client, call, founders):
    _startup, first, _second = founders
    client.force_login(first)
    response = client.post(apply_url(call.challenge), {})
    assert response.status_code == 400
    assert f"eligibility_{call.condition.pk}" in response.context["form"].errors
    assert not Application.objects.exists()


def test_an_edition_without_conditions_goes_straight_to_the_form(client, founders):
    now = timezone.now()
    phase = PhaseFactory.create(starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1))
    challenge = ChallengeFactory.create(program=phase.program)
    startup, first, _second = founders
    client.force_login(first)

    page = client.get(apply_url(challenge))
    assert page.status_code == 200
    assert "form" in page.context
    assert not Application.objects.exists()  # nothing written by a GET

    response = client.post(apply_url(challenge), {"revision": 0, "team": "Us", "action": "save"})
    application = Application.objects.get(startup=startup, challenge=challenge)
    assert response["Location"] == detail_url(application)
    assert application.team == "Us"
    # Once started, the entry leads to it.
    assert client.get(apply_url(challenge))["Location"] == detail_url(application)


def test_which_startup_applies(client, call):
    user = UserFactory.create()
    client.force_login(user)
    none = client.get(apply_url(call.challenge))
    assert none.context["step"] == "no_startup"
    assert f"{reverse('startups:create')}?next=" in none.context["create_url"]

    first = StartupMembershipFactory.create(user=user).startup
    StartupMembershipFactory.create(user=user)
    several = client.get(apply_url(call.challenge))
    assert several.context["step"] == "choose"
    chosen = client.get(f"{apply_url(call.challenge)}?startup={first.slug}")
    assert chosen.context["step"] == "eligibility"
    assert chosen.context["startup"] == first


def test_creating_a_startup_comes_back_to_the_application(client, call):
    client.force_login(UserFactory.create())
    back = apply_url(call.challenge)
    data = {"name": "Tramway Labs", "pitch_fr": "Des trams à l'heure.", "sector": "mobility"}
    response = client.post(f"{reverse('startups:create')}?next={back}", data)
    assert response.status_code == 302
    assert response["Location"] == back
    evil = client.post(f"{reverse('startups:create')}?next=//evil.example/", {**data, "name": "Other Labs"})
    assert evil["Location"].startswith("/startups/")


# --- What a refused save keeps ----------------------------------------------------------------------------------


def test_a_missing_required_answer_keeps_everything_typed_and_submits_nothing(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)

    data = complete(call, application, solution="My carefully typed solution.")
    data[f"question_{call.traction.pk}"] = ""
    response = client.post(edit_url(application), data)

    assert response.status_code == 400
    assert f"question_{call.traction.pk}" in response.context["form"].errors
    assert "My carefully typed solution." in response.content.decode()
    application.refresh_from_db()
    # Nothing is submitted, but the draft keeps what was typed, and the page goes on from the draft's revision.
    assert (application.status, application.solution) == (ApplicationStatus.DRAFT, "My carefully typed solution.")
    assert not ApplicationVersion.objects.exists()
    assert response.context["form"]["revision"].value() == str(application.revision)

    data.update(revision=application.revision, **{f"question_{call.traction.pk}": "1,000 users"})
    assert client.post(edit_url(application), data).status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_incomplete_changes_to_a_submitted_application_leave_it_as_submitted(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    data = complete(call, application)
    assert client.post(edit_url(application), data).status_code == 302
    application.refresh_from_db()
    submitted_solution = application.solution

    data.update(revision=application.revision, solution="A rewrite in progress")
    data[f"question_{call.traction.pk}"] = ""
    response = client.post(edit_url(application), data)

    assert response.status_code == 400
    assert "A rewrite in progress" in response.content.decode()
    application.refresh_from_db()
    assert (application.status, application.solution) == (ApplicationStatus.SUBMITTED, submitted_solution)
    assert application.versions.count() == 1


def test_a_file_sent_with_a_refused_submission_is_kept_as_attached(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    data = complete(call, application, **{f"question_{call.deck.pk}": SimpleUploadedFile("deck.pdf", PDF)})
    data[f"question_{call.traction.pk}"] = ""

    response = client.post(edit_url(application), data)

    assert response.status_code == 400
    attachment = Attachment.objects.get(application=application)
    form = response.context["form"]
    assert form[f"keep_{call.deck.pk}"].value() == [str(attachment.pk)]
    assert f'value="{attachment.pk}" id="id_keep_{call.deck.pk}_{attachment.pk}" checked' in response.content.decode()
    # Sent again as the page now stands (the draft it kept has a new revision): the file is part of the answer.
    data["revision"] = form["revision"].value()
    data[f"question_{call.traction.pk}"] = "1,000 users"
    data.pop(f"question_{call.deck.pk}")
    response = client.post(edit_url(application), {**data, f"keep_{call.deck.pk}": [attachment.pk]})
    assert response.status_code == 302
    assert Answer.objects.get(application=application, question=call.deck).value == [attachment.pk]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("big.pdf", PDF + b" " * 2048, "file_too_large"), ("report.pdf", EXECUTABLE, "file_type")],
)
def test_an_oversize_or_disguised_file_is_refused_before_storage(client, call, founders, settings, name, content, code):
    settings.APPLICATION_FILE_MAX_BYTES = 1024
    startup, first, _second = founders
    application = started(call, startup, first, client)
    before = stored_files()

    data = {"revision": application.revision, "solution": "Typed text.", "action": "save"}
    response = client.post(
        edit_url(application), {**data, f"question_{call.deck.pk}": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 400
    assert field_codes(response, f"question_{call.deck.pk}") == {code}
    assert response.context["files_dropped"]
    assert "Typed text." in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files() == before
    application.refresh_from_db()
    assert application.solution == ""


def test_too_many_files_for_a_question_are_refused(client, call, founders, settings):
    settings.APPLICATION_FILES_PER_QUESTION = 2
    startup, first, _second = founders
    application = started(call, startup, first, client)
    files = [SimpleUploadedFile(f"page-{n}.pdf", PDF) for n in range(3)]
    response = client.post(
        edit_url(application),
        {"revision": application.revision, "action": "save", f"question_{call.deck.pk}": files},
    )
    assert response.status_code == 400
    assert field_codes(response, f"question_{call.deck.pk}") == {"too_many_files"}
    assert not Attachment.objects.exists()


def test_a_hostile_file_name_is_stored_under_a_server_key_and_downloaded_as_an_attachment(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    upload = SimpleUploadedFile("../../etc/pa\x1bss.pdf", PDF, content_type="text/html")

    response = client.post(
        edit_url(application),
        {"revision": application.revision, "action": "save", f"question_{call.deck.pk}": upload},
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "pass.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.startswith(f"applications/{application.pk}/")
    assert ".." not in attachment.file.name
    assert "pass" not in attachment.file.name
    download = client.get(attachment.get_absolute_url())
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="pass.pdf"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


def test_two_members_saving_at_once_the_second_is_told_and_keeps_the_text(client, call, founders):
    startup, first, second = founders
    application = started(call, startup, first, client)
    loaded_at = application.revision

    client.force_login(first)
    assert (
        client.post(edit_url(application), {"revision": loaded_at, "team": "First's", "action": "save"}).status_code
        == 302
    )
    client.force_login(second)
    response = client.post(
        edit_url(application), {"revision": loaded_at, "team": "Second's team text", "action": "save"}
    )

    assert response.status_code == 409
    assert response.context["conflict"]
    assert "Second&#x27;s team text" in response.content.decode()
    assert f'href="{detail_url(application)}" target="_blank"' in response.content.decode()
    application.refresh_from_db()
    assert application.team == "First's"
    assert AuditEntry.objects.filter(action="application.conflict", details__reason_code="conflict").exists()


def test_a_form_sent_a_second_after_the_deadline_is_refused_and_nothing_is_saved(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    assert client.get(edit_url(application)).status_code == 200  # loaded while the call is open
    call.phase.ends_at = timezone.now() - timedelta(seconds=1)
    call.phase.save()
    before = Application.objects.values().get()

    response = client.post(
        edit_url(application),
        {
            "revision": application.revision,
            "solution": "Too late.",
            "action": "save",
            f"question_{call.deck.pk}": SimpleUploadedFile("deck.pdf", PDF),
        },
    )

    assert response.status_code == 400
    assert "Too late." in response.content.decode()
    assert Application.objects.values().get() == before
    assert not Attachment.objects.exists()
    assert AuditEntry.objects.filter(action="application.refused", details__reason_code="call_closed").exists()
    # And the pages say the call is closed: no edit, no apply.
    assert client.get(edit_url(application)).status_code == 302
    newcomer = StartupMembershipFactory.create().user
    client.force_login(newcomer)
    closed = client.get(apply_url(call.challenge))
    assert closed.context["step"] == "closed"
    assert client.post(apply_url(call.challenge), {f"eligibility_{call.condition.pk}": "yes"}).status_code == 400
    assert Application.objects.count() == 1


def test_an_application_staff_extended_stays_open_to_its_startup_only(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    call.phase.ends_at = timezone.now() - timedelta(minutes=1)
    call.phase.save()
    application.extended_until = timezone.now() + timedelta(hours=2)
    application.save()

    page = client.get(edit_url(application))
    assert page.status_code == 200
    assert page.context["deadline"].is_extended
    assert 'class="message deadline-extended"' in page.content.decode()
    saved = client.post(
        edit_url(application), {"revision": application.revision, "solution": "Late, allowed.", "action": "save"}
    )
    assert saved.status_code == 302
    application.refresh_from_db()
    assert application.solution == "Late, allowed."


# --- Withdrawing ------------------------------------------------------------------------------------------------


def test_withdrawn_then_taken_up_again(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    client.post(edit_url(application), complete(call, application))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    assert client.get(reverse("startups:application_withdraw", kwargs={"pk": application.pk})).status_code == 200
    response = client.post(reverse("startups:application_withdraw", kwargs={"pk": application.pk}))
    assert response["Location"] == detail_url(application)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN

    page = client.get(edit_url(application))
    assert page.context["actions"] == ["save"]
    client.post(edit_url(application), {"revision": application.revision, "team": "Back", "action": "save"})
    application.refresh_from_db()
    assert (application.status, application.team) == (ApplicationStatus.DRAFT, "Back")


# --- Who sees what ----------------------------------------------------------------------------------------------


def test_another_startups_member_finds_nothing(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    client.post(
        edit_url(application),
        {
            "revision": application.revision,
            "action": "save",
            f"question_{call.deck.pk}": SimpleUploadedFile("d.pdf", PDF),
        },
    )
    attachment = Attachment.objects.get()
    outsider = StartupMembershipFactory.create().user
    client.force_login(outsider)
    for url in (
        reverse("startups:applications", kwargs={"slug": startup.slug}),
        detail_url(application),
        edit_url(application),
        reverse("startups:application_withdraw", kwargs={"pk": application.pk}),
        attachment.get_absolute_url(),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(edit_url(application), {"revision": 9, "team": "x", "action": "save"}).status_code == 404
    assert client.post(reverse("startups:application_withdraw", kwargs={"pk": application.pk})).status_code == 404
    application.refresh_from_db()
    assert (application.status, application.team) == (ApplicationStatus.DRAFT, "")


def test_the_owning_partner_reads_a_sent_application_without_the_teams_notes(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    Application.objects.filter(pk=application.pk).update(internal_notes="Our fallback plan B")
    partner_member = PartnerMembershipFactory.create(partner=call.challenge.owner).user
    other_partner = PartnerMembershipFactory.create().user

    client.force_login(partner_member)
    assert client.get(detail_url(application)).status_code == 404  # a draft is the startup's alone

    client.force_login(first)
    assert "Our fallback plan B" in client.get(detail_url(application)).content.decode()
    client.post(edit_url(application), complete(call, application))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    client.force_login(partner_member)
    response = client.get(detail_url(application))
    assert response.status_code == 200
    assert "Sensors on every tram." in response.content.decode()
    assert "Our fallback plan B" not in response.content.decode()
    assert not response.context["can_edit"]
    assert client.get(edit_url(application)).status_code == 404
    client.force_login(other_partner)
    assert client.get(detail_url(application)).status_code == 404


# --- Deadline, entry points ---------------------------------------------------------------------------------------


def test_the_deadline_is_shown_in_the_editions_zone_with_a_banner_on_the_last_day(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    html = client.get(detail_url(application)).content.decode()
    assert "(Africa/Casablanca)" in html
    assert f'datetime="{timezone.localtime(call.phase.ends_at).isoformat()}"' in html
    assert "deadline-banner" not in html

    call.phase.ends_at = timezone.now() + timedelta(hours=3)
    call.phase.save()
    for url in (detail_url(application), edit_url(application)):
        assert 'class="message deadline-banner" role="status"' in client.get(url).content.decode()


def test_the_challenge_page_my_space_and_the_startup_page_lead_to_the_applications(client, call, founders):
    startup, first, _second = founders
    client.force_login(first)
    assert apply_url(call.challenge) in client.get(call.challenge.get_absolute_url()).content.decode()
    application = started(call, startup, first, client)

    assert detail_url(application) in client.get(reverse("my_space")).content.decode()
    startup_page = client.get(reverse("startups:detail", kwargs={"slug": startup.slug})).content.decode()
    assert reverse("startups:applications", kwargs={"slug": startup.slug}) in startup_page

    listing = client.get(reverse("startups:applications", kwargs={"slug": startup.slug}))
    assert list(listing.context["applications"]) == [application]
    other = ChallengeFactory.create(program=call.program)
    listing = client.get(reverse("startups:applications", kwargs={"slug": startup.slug}))
    assert list(listing.context["open_challenges"]) == [other]
    assert f"{apply_url(other)}?startup={startup.slug}" in listing.content.decode()

    call.phase.ends_at = timezone.now() - timedelta(seconds=1)
    call.phase.save()
    assert apply_url(call.challenge) not in client.get(call.challenge.get_absolute_url()).content.decode()


# --- Query counts -----------------------------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    client.get(url)  # warm up (sessions, caches)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        response.content  # noqa: B018 - render inside the capture
    assert response.status_code == 200
    return len(queries)


def add_questions(call, application, total: int) -> None:
    kinds = list(QuestionKind.values)
    while Question.objects.filter(program=call.program).count() < total:
        n = Question.objects.count()
        kind = kinds[n % len(kinds)]
        question = Question.objects.create(
            program=call.program, order=10 + n, label=f"Question {n}", kind=kind, choices="One\nTwo\nThree"
        )
        if kind == QuestionKind.FILE:
            attachment = Attachment.objects.create(
                application=application, question=question, file="applications/x", name="x.pdf",
                content_type="application/pdf", size=3, sha256="0" * 64,
            )  # fmt: skip
            value: object = [attachment.pk]
        else:
            value = {"yes_no": True, "single_choice": 1, "multiple_choice": [0, 2], "number": "12.5"}.get(kind, "Text")
        Answer.objects.create(application=application, question=question, value=value)
    ApplicationVersion.objects.create(
        application=application, number=application.versions.count() + 1, submitted_at=timezone.now(), content={}
    )


@pytest.mark.parametrize("which", ["detail", "edit"])
def test_application_pages_query_count_is_constant(client, call, founders, django_assert_num_queries, which):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    url = detail_url(application) if which == "detail" else edit_url(application)
    Question.objects.filter(pk=call.more.pk).delete()
    add_questions(call, application, 2)
    few = count_queries(client, url)
    add_questions(call, application, 8)
    with django_assert_num_queries(few):
        client.get(url).content  # noqa: B018
    assert few <= 14


def test_startup_applications_list_query_count_is_constant(client, founders, django_assert_num_queries):
    startup, first, second = founders
    now = timezone.now()
    client.force_login(first)
    url = reverse("startups:applications", kwargs={"slug": startup.slug})

    def grow(n):
        while startup.applications.count() < n:
            phase = PhaseFactory.create(starts_at=now - timedelta(days=1), ends_at=now + timedelta(hours=5))
            challenge = ChallengeFactory.create(program=phase.program)
            Application.objects.create(startup=startup, challenge=challenge, last_saved_by=second)
            ChallengeFactory.create(program=phase.program)  # open, not applied to

    grow(1)
    few = count_queries(client, url)
    grow(5)
    with django_assert_num_queries(few):
        response = client.get(url)
        response.content  # noqa: B018
    assert len(response.context["applications"]) == 5
    assert len(response.context["open_challenges"]) == 5
    assert few <= 8


def test_my_space_lists_applications_in_one_query(client, founders, django_assert_num_queries):
    startup, first, _second = founders
    client.force_login(first)
    for _ in range(2):
        Application.objects.create(startup=startup, challenge=ChallengeFactory.create())
    few = count_queries(client, reverse("my_space"))
    other = StartupFactory.create()
    StartupMembershipFactory.create(startup=other, user=first)
    for _ in range(4):
        Application.objects.create(startup=other, challenge=ChallengeFactory.create())
    with django_assert_num_queries(few):
        client.get(reverse("my_space")).content  # noqa: B018


def test_each_kind_of_answer_is_kept_as_the_services_expect(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    program = call.program
    single = Question.objects.create(program=program, kind=QuestionKind.SINGLE_CHOICE, label="S", choices="A\nB\nC")
    multiple = Question.objects.create(program=program, kind=QuestionKind.MULTIPLE_CHOICE, label="M", choices="A\nB\nC")
    number = Question.objects.create(program=program, kind=QuestionKind.NUMBER, label="N")
    url = Question.objects.create(program=program, kind=QuestionKind.URL, label="U")
    yes_no = Question.objects.create(program=program, kind=QuestionKind.YES_NO, label="Y")

    response = client.post(
        edit_url(application),
        {
            "revision": application.revision,
            "action": "save",
            f"question_{single.pk}": "2",
            f"question_{multiple.pk}": ["0", "2"],
            f"question_{number.pk}": "1250,50",  # French decimal comma
            f"question_{url.pk}": "example.org/demo",
            f"question_{yes_no.pk}": "no",
        },
    )

    assert response.status_code == 302
    answers = dict(Answer.objects.filter(application=application).values_list("question_id", "value"))
    assert answers[single.pk] == 2
    assert answers[multiple.pk] == [0, 2]
    assert answers[number.pk] == "1250.5"
    assert answers[url.pk] == "https://example.org/demo"
    assert answers[yes_no.pk] is False
    assert answers[call.deck.pk] == []
    # Shown back as they were given.
    page = client.get(edit_url(application)).content.decode()
    assert f'value="2" id="id_question_{single.pk}_2" checked' in page
    assert f'value="no" id="id_question_{yes_no.pk}_1" checked' in page


def test_a_wrong_value_is_told_beside_its_field_and_nothing_is_saved(client, call, founders):
    startup, first, _second = founders
    application = started(call, startup, first, client)
    number = Question.objects.create(program=call.program, kind=QuestionKind.NUMBER, label="N")
    response = client.post(
        edit_url(application),
        {"revision": application.revision, "action": "save", "team": "Kept", f"question_{number.pk}": "a lot"},
    )
    assert response.status_code == 400
    assert field_codes(response, f"question_{number.pk}") == {"invalid"}
    assert "Kept" in response.content.decode()
    application.refresh_from_db()
    assert application.team == ""


# --- In a real browser ------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_application_pages_are_accessible_and_give_the_deadline_in_the_visitors_zone(
    live_server, page_logged_in_as, call, founders
):
    from axe_playwright_python.sync_playwright import Axe

    startup, first, _second = founders
    Question.objects.create(
        program=call.program, order=4, kind=QuestionKind.SINGLE_CHOICE, label="Stage", choices="A\nB", help_text="One"
    )
    Question.objects.create(program=call.program, order=5, kind=QuestionKind.YES_NO, label="Open data?")
    call.phase.ends_at = timezone.now() + timedelta(hours=5)  # the last day: the banner shows
    call.phase.save()
    page = page_logged_in_as(first)
    axe = Axe()
    problems = []

    def audit(path: str) -> None:
        for violation in axe.run(page).response["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{path}: {violation['id']}: {violation['help']} {targets}")

    page.goto(live_server.url + apply_url(call.challenge))
    audit("eligibility")
    page.get_by_label("Oui").check()
    page.locator("button[type=submit]").last.click()
    page.wait_for_url("**/edit/")
    application = Application.objects.get(startup=startup)
    # The form refused: the required answers are missing.
    page.locator("button[value=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    audit("form with errors")
    for path in (
        edit_url(application),
        detail_url(application),
        reverse("startups:applications", kwargs={"slug": startup.slug}),
        reverse("startups:application_withdraw", kwargs={"pk": application.pk}),
        f"/ar{detail_url(application)}",
        f"/ar{edit_url(application)}",
    ):
        page.goto(live_server.url + path)
        audit(path)
    assert problems == [], "\n".join(problems)

    page.goto(live_server.url + detail_url(application))
    assert page.locator(".deadline-banner").is_visible()
    deadline = page.locator(".deadline-date time")
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert deadline.inner_text().endswith(f"({zone})")
    assert deadline.get_attribute("title").endswith("(Africa/Casablanca)")
    # Closing the browser's connections lets the live server's threads close theirs to the database.
    page.context.close()
