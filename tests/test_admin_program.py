"""Running a program in the admin: the index follows the program, an edition comes with its seven phases, phases
stay within their edition, members and jurors are invited from their organisation's page.

The admin, outside the language prefixes, always speaks the default language (French): assertions read error codes,
names and dates rather than sentences whose translation is still to come.
"""

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from challenges.models import JuryInvitation, Phase, PhaseKind, Program
from datacity.accounts.roles import PROGRAM_MANAGER
from partners.models import PartnerInvitation
from tests.admin_forms import admin_change_data
from tests.factories import CASABLANCA, PartnerFactory, PhaseFactory, ProgramFactory, UserFactory
from tests.utils import assert_constant_queries, send_outbox, translated

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def manager_client(client):
    """A program manager: staff, in the group whose permissions migrations keep in step."""
    manager = UserFactory.create(is_staff=True)
    manager.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    client.force_login(manager)
    return client


def edition_2027(**kwargs) -> Program:
    return ProgramFactory.create(starts_on=date(2027, 2, 1), ends_on=date(2027, 10, 31), time_zone=CASABLANCA, **kwargs)


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    """A wall-clock time in Casablanca."""
    return datetime(year, month, day, hour, tzinfo=CASABLANCA)


def phase_form(
    index: int, *, order: int, title: str, start: tuple[str, str], end: tuple[str, str], kind: str = "selection"
) -> dict:
    prefix = f"phases-{index}-"
    return {
        f"{prefix}order": str(order),
        f"{prefix}kind": kind,
        f"{prefix}title_fr": title,
        f"{prefix}title_ar": "",
        f"{prefix}title_en": "",
        f"{prefix}starts_at_0": start[0],
        f"{prefix}starts_at_1": start[1],
        f"{prefix}ends_at_0": end[0],
        f"{prefix}ends_at_1": end[1],
    }


def program_form(**extra) -> dict:
    data = {
        "name_fr": "DataCity 2027",
        "name_ar": "",
        "name_en": "",
        "slug": "datacity-2027",
        "city_fr": "Casablanca",
        "city_ar": "",
        "city_en": "",
        "description_fr": "",
        "description_ar": "",
        "description_en": "",
        "starts_on": "2027-02-01",
        "ends_on": "2027-10-31",
        "time_zone": "Africa/Casablanca",
        "is_published": "on",
        "reminder_offsets": "7d 1d 2h",
        "late_reminders": "send",
        "reviews_per_application": "3",
        "phases-INITIAL_FORMS": "0",
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "1000",
        "jury-TOTAL_FORMS": "0",
        "jury-INITIAL_FORMS": "0",
        "jury-MIN_NUM_FORMS": "0",
        "jury-MAX_NUM_FORMS": "1000",
    }
    return data | extra


def phase_formset(response):
    return next(
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "phases"
    )


def error_codes(response) -> dict[str, set]:
    """The codes of an admin form page's errors by field (the inlines' rows included), "__all__" for the others."""
    forms = [response.context["adminform"].form]
    found: dict[str, set] = {}
    for inline in response.context["inline_admin_formsets"]:
        forms += inline.formset.forms
        found.setdefault("__all__", set()).update(e.code for e in inline.formset.non_form_errors().as_data())
    for form in forms:
        for field, errors in form.errors.as_data().items():
            found.setdefault(field, set()).update(error.code for error in errors)
    return found


def errors_of(response) -> str:
    """Every error message of an admin form page, the inlines' included, as the page shows them."""
    form = response.context["adminform"].form
    messages = [str(error) for errors in form.errors.values() for error in errors]
    for inline in response.context["inline_admin_formsets"]:
        messages += [str(error) for error in inline.formset.non_form_errors()]
        messages += [str(error) for errors in inline.formset.errors for field in errors.values() for error in field]
    return "\n".join(messages)


# --- The index ----------------------------------------------------------------------------------------------------
def sections_of(app_list) -> list[tuple[str, list[str]]]:
    with translation.override("en"):
        return [(str(app["name"]), [model["model"]._meta.label_lower for model in app["models"]]) for app in app_list]


def index_sections(client) -> list[tuple[str, list[str]]]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return sections_of(response.context["app_list"])


PROGRAM_SECTIONS = [
    "Program",
    "Partners",
    "Startups",
    "Jury",
    "Experimentation",
    "Data catalogue",
    "People and accounts",
    "Audit log",
]


def test_the_index_follows_the_program_and_hides_technical_tables_from_program_managers(manager_client):
    sections = index_sections(manager_client)

    assert [name for name, _models in sections] == PROGRAM_SECTIONS
    assert sections[0][1] == ["challenges.program", "challenges.phase", "challenges.challenge", "challenges.theme"]
    shown = {label for _name, models in sections for label in models}
    assert not shown & {
        "django_celery_beat.periodictask",
        "django_celery_beat.crontabschedule",
        "account.emailaddress",
        "mfa.authenticator",
        "auth.group",
        "challenges.phasetransition",
    }
    # The side menu of every admin page is the same list.
    page = manager_client.get(reverse("admin:challenges_program_changelist"))
    assert sections_of(page.context["available_apps"]) == sections


def test_superusers_find_the_technical_tables_last_under_translated_names(superuser_client):
    sections = index_sections(superuser_client)
    names = [name for name, _models in sections]
    count = len(PROGRAM_SECTIONS)
    assert names[:count] == PROGRAM_SECTIONS
    assert names[count:] == ["Sign-in and permissions (technical)", "Scheduling (technical)"]
    assert sections[count][1] == ["auth.group", "account.emailaddress", "mfa.authenticator"]
    assert "challenges.phasetransition" in sections[count + 1][1]
    assert "django_celery_beat.periodictask" in sections[count + 1][1]
    assert len(names) == len(set(names)), "two sections with one name"
    response = superuser_client.get(reverse("admin:index"))
    with translation.override("en"):
        authenticators = next(
            m for app in response.context["app_list"] for m in app["models"] if m["object_name"] == "Authenticator"
        )
        assert str(authenticators["name"]) == "Two-factor authenticators"
    assert ">MFA<" not in response.content.decode()


def test_program_managers_are_refused_the_technical_tables(manager_client):
    for name in ("django_celery_beat_periodictask", "challenges_phasetransition", "auth_group"):
        assert manager_client.get(reverse(f"admin:{name}_changelist")).status_code == 403, name
    assert manager_client.get(reverse("admin:app_list", args=["django_celery_beat"])).status_code == 404


# --- Creating an edition ------------------------------------------------------------------------------------------
def test_creating_an_edition_offers_the_seven_standard_phases(superuser_client):
    response = superuser_client.get(reverse("admin:challenges_program_add"))

    formset = phase_formset(response)
    assert [form.initial.get("kind") for form in formset.forms] == [kind.value for kind in PhaseKind]
    assert [form.initial.get("order") for form in formset.forms] == list(range(7))
    assert formset.forms[1].initial["title_fr"] == "Appel à candidatures"
    assert formset.forms[1].initial["title_en"] == "Call for applications"
    assert formset.forms[1].initial["title_ar"]
    assert not any(form.initial.get("starts_at") for form in formset.forms), "dates are left to staff"


def test_standard_phases_left_without_dates_are_not_saved_and_dated_ones_are(superuser_client):
    data = admin_change_data(superuser_client.get(reverse("admin:challenges_program_add")))
    data |= program_form(**{"phases-TOTAL_FORMS": "7"})
    # Staff date the first two phases only; the five others stay as offered.
    data |= {
        "phases-0-starts_at_0": "2027-02-01",
        "phases-0-starts_at_1": "09:00",
        "phases-0-ends_at_0": "2027-04-03",
        "phases-0-ends_at_1": "09:00",
        "phases-1-starts_at_0": "2027-04-03",
        "phases-1-starts_at_1": "09:00",
        "phases-1-ends_at_0": "2027-05-15",
        "phases-1-ends_at_1": "18:00",
    }

    response = superuser_client.post(reverse("admin:challenges_program_add"), data)

    assert response.status_code == 302, errors_of(response)
    phases = list(Phase.objects.order_by("order"))
    assert [(phase.order, phase.kind) for phase in phases] == [
        (0, PhaseKind.CHALLENGE_DEFINITION),
        (1, PhaseKind.CALL_FOR_APPLICATIONS),
    ]
    assert translated(phases[1], "title", "fr") == "Appel à candidatures"


def test_an_edition_without_phases_is_offered_them_again_and_one_with_phases_is_not(superuser_client):
    empty, planned = edition_2027(slug="empty"), edition_2027(slug="planned")
    PhaseFactory.create(program=planned, order=0, starts_at=at(2027, 2, 1, 9), ends_at=at(2027, 3, 1, 9))

    def phase_forms(program):
        return phase_formset(superuser_client.get(reverse("admin:challenges_program_change", args=[program.pk]))).forms

    assert len(phase_forms(empty)) == 7
    assert len(phase_forms(planned)) == 1


def test_the_edition_list_shows_publication_dates_and_current_phase(superuser_client):
    program = ProgramFactory.create(name="DataCity Rabat", is_published=False)
    now = timezone.now()
    PhaseFactory.create(
        program=program,
        order=0,
        title="Appel ouvert",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=9),
    )

    response = superuser_client.get(reverse("admin:challenges_program_changelist"))

    assert response.context["cl"].list_display == [
        "action_checkbox",
        "name",
        "is_published",
        "starts_on",
        "ends_on",
        "current_phase",
        "city",
    ]
    assert "Appel ouvert" in response.content.decode()


def test_the_phase_list_shows_dates_and_status_and_filters_on_status(superuser_client):
    now = timezone.now()
    program = ProgramFactory.create()
    day = timedelta(days=1)
    PhaseFactory.create(program=program, order=0, title="Passée", starts_at=now - 20 * day, ends_at=now - 10 * day)
    PhaseFactory.create(program=program, order=1, title="En cours", starts_at=now - 10 * day, ends_at=now + 10 * day)

    url = reverse("admin:challenges_phase_changelist")
    columns = superuser_client.get(url).context["cl"].list_display
    assert columns[:4] == ["action_checkbox", "title", "status_display", "starts_at"]
    assert "ends_at" in columns

    html = superuser_client.get(url, {"status": "open"}).content.decode()
    assert "En cours" in html
    assert "Passée" not in html


def test_overlapping_phases_entered_together_are_refused_and_the_form_keeps_the_input(superuser_client):
    data = program_form(**{"phases-TOTAL_FORMS": "2"})
    data |= phase_form(0, order=0, title="Appel", start=("2027-04-03", "09:00"), end=("2027-05-15", "18:00"))
    data |= phase_form(1, order=1, title="Sélection", start=("2027-05-15", "17:00"), end=("2027-06-12", "18:00"))

    response = superuser_client.post(reverse("admin:challenges_program_add"), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Appel" in html and "Sélection" in html  # noqa: PT018 - both inputs are shown back
    (overlap,) = phase_formset(response).non_form_errors()
    assert "Appel" in overlap and "Sélection" in overlap  # noqa: PT018 - the message names both phases
    assert not Phase.objects.exists()


def test_phases_entered_in_the_admin_are_read_in_the_program_time_zone(superuser_client):
    data = program_form(**{"phases-TOTAL_FORMS": "1"})
    # 18:00 in Casablanca on 1 March 2027, during Ramadan (UTC+0), is 18:00 UTC; on 1 May 2027 it is 17:00 UTC.
    data |= phase_form(0, order=0, title="Appel", start=("2027-03-01", "18:00"), end=("2027-05-01", "18:00"))

    response = superuser_client.post(reverse("admin:challenges_program_add"), data)

    assert response.status_code == 302, errors_of(response)
    phase = Phase.objects.get()
    assert phase.starts_at.isoformat() == "2027-03-01T18:00:00+00:00"
    assert phase.ends_at.isoformat() == "2027-05-01T17:00:00+00:00"


def test_the_edition_and_phase_lists_cost_the_same_at_5_and_50_rows(superuser_client):
    def grow_editions(n):
        while Program.objects.count() < n:
            program = ProgramFactory.create()
            PhaseFactory.create(program=program, order=0)
            PhaseFactory.create(program=program, order=1)

    assert_constant_queries(superuser_client, reverse("admin:challenges_program_changelist"), grow_editions, at_most=10)

    program = ProgramFactory.create(starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))

    def grow_phases(n):
        while Phase.objects.count() < n:
            count = Phase.objects.count()
            PhaseFactory.create(
                program=program,
                order=count,
                starts_at=at(2027, 1, 1) + timedelta(days=count * 5),
                ends_at=at(2027, 1, 1) + timedelta(days=count * 5 + 5),
            )

    Phase.objects.all().delete()
    assert_constant_queries(superuser_client, reverse("admin:challenges_phase_changelist"), grow_phases, at_most=10)


# --- Phases within their edition ----------------------------------------------------------------------------------
def standalone_phase_data(program: Program, *, start: tuple[str, str], end: tuple[str, str], title="Suivi") -> dict:
    return {
        "program": str(program.pk),
        "order": "6",
        "kind": "follow_up",
        "title_fr": title,
        "title_ar": "",
        "title_en": "",
        "description_fr": "",
        "description_ar": "",
        "description_en": "",
        "starts_at_0": start[0],
        "starts_at_1": start[1],
        "ends_at_0": end[0],
        "ends_at_1": end[1],
    }


def test_the_phase_form_refuses_a_phase_outside_its_edition(superuser_client):
    program = edition_2027()
    data = standalone_phase_data(program, start=("2027-11-02", "09:00"), end=("2028-03-01", "18:00"))

    response = superuser_client.post(reverse("admin:challenges_phase_add"), data)

    assert response.status_code == 200
    assert error_codes(response) == {"ends_at": {"phase_after_edition"}}
    # The message gives the edition's dates.
    assert "31 octobre 2027" in errors_of(response)
    assert not Phase.objects.exists()


def test_the_edition_bounds_are_read_in_its_time_zone(superuser_client):
    """The edition ends on 31 October: its last phase may run to midnight in Casablanca, not a second more."""
    program = edition_2027()
    last_instant = standalone_phase_data(program, start=("2027-10-01", "09:00"), end=("2027-11-01", "00:00"))
    assert superuser_client.post(reverse("admin:challenges_phase_add"), last_instant).status_code == 302
    Phase.objects.all().delete()
    first_instant = standalone_phase_data(program, start=("2027-02-01", "00:00"), end=("2027-03-01", "00:00"))
    assert superuser_client.post(reverse("admin:challenges_phase_add"), first_instant).status_code == 302
    Phase.objects.all().delete()
    too_early = standalone_phase_data(program, start=("2027-01-31", "23:59"), end=("2027-03-01", "00:00"))
    response = superuser_client.post(reverse("admin:challenges_phase_add"), too_early)
    assert response.status_code == 200
    assert error_codes(response) == {"starts_at": {"phase_before_edition"}}


def test_the_edition_page_refuses_a_phase_outside_the_dates_being_saved(superuser_client):
    data = program_form(**{"phases-TOTAL_FORMS": "2"})
    data |= phase_form(0, order=0, title="Appel", start=("2027-04-03", "09:00"), end=("2027-05-15", "18:00"))
    data |= phase_form(1, order=1, title="Suivi", start=("2027-10-01", "09:00"), end=("2028-03-01", "18:00"))

    response = superuser_client.post(reverse("admin:challenges_program_add"), data)

    assert response.status_code == 200
    assert error_codes(response) == {"__all__": set(), "ends_at": {"phase_after_edition"}}
    assert not Program.objects.exists()


def test_shortening_an_edition_below_its_phases_is_refused_on_its_page(superuser_client):
    program = edition_2027()
    PhaseFactory.create(
        program=program, order=0, title="Démo", starts_at=at(2027, 10, 1, 9), ends_at=at(2027, 10, 20, 18)
    )
    data = admin_change_data(superuser_client.get(reverse("admin:challenges_program_change", args=[program.pk])))
    data["ends_on"] = "2027-09-30"

    response = superuser_client.post(reverse("admin:challenges_program_change", args=[program.pk]), data)

    assert response.status_code == 200
    assert error_codes(response) == {"__all__": set(), "ends_at": {"phase_after_edition"}}
    assert "30 septembre 2027" in errors_of(response)
    program.refresh_from_db()
    assert program.ends_on == date(2027, 10, 31)


def test_the_phase_form_names_the_phase_it_overlaps(superuser_client):
    program = edition_2027()
    PhaseFactory.create(
        program=program, order=2, title="Sélection", starts_at=at(2027, 6, 12, 18), ends_at=at(2027, 6, 30, 18)
    )
    data = standalone_phase_data(program, start=("2027-06-20", "09:00"), end=("2027-07-15", "18:00"), title="Co")

    response = superuser_client.post(reverse("admin:challenges_phase_add"), data)

    assert response.status_code == 200
    assert error_codes(response) == {"__all__": {"phase_overlap"}}
    (message,) = response.context["adminform"].form.non_field_errors()
    assert "Sélection" in message
    assert "12 juin 2027 18:00" in message
    assert "30 juin 2027 18:00" in message
    assert Phase.objects.count() == 1


def immediately(check):
    """Run `check` with the deferred constraint triggers checked at once (as they are at commit)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        check()


def test_the_database_refuses_a_phase_outside_its_edition():
    program = edition_2027()
    with pytest.raises(IntegrityError, match="outside the dates of its edition"):
        immediately(
            lambda: Phase.objects.create(
                program=program,
                order=6,
                kind="follow_up",
                title="Suivi",
                starts_at=at(2027, 10, 20),
                ends_at=at(2028, 1, 1),
            )
        )
    assert not Phase.objects.exists()


def test_the_database_accepts_a_phase_filling_its_edition_exactly_whatever_its_own_time_zone_data():
    """Midnight in Casablanca is 23:00 UTC the day before from April 2027: a database whose time zone rules differ
    from Python's (as an embedded server's did) must not refuse a phase that the forms accept."""
    program = ProgramFactory.create(starts_on=date(2027, 4, 1), ends_on=date(2027, 10, 31), time_zone=CASABLANCA)

    immediately(
        lambda: Phase.objects.create(
            program=program,
            order=0,
            kind="prototyping",
            title="Tout",
            starts_at=at(2027, 4, 1),
            ends_at=at(2027, 11, 1),
        )
    )

    assert Phase.objects.filter(program=program).count() == 1


def test_the_database_refuses_an_edition_moved_away_from_its_phases_but_not_both_moved_together():
    program = edition_2027()
    phase = PhaseFactory.create(program=program, order=0, starts_at=at(2027, 10, 1, 9), ends_at=at(2027, 10, 31, 18))

    program.ends_on = date(2027, 9, 30)
    with pytest.raises(IntegrityError, match="outside the dates of its edition"):
        immediately(lambda: program.save())

    def move_both():
        program.save()
        phase.starts_at, phase.ends_at = at(2027, 9, 1, 9), at(2027, 9, 30, 18)
        phase.save()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        move_both()
    program.refresh_from_db()
    assert program.ends_on == date(2027, 9, 30)


# --- Invitations --------------------------------------------------------------------------------------------------
def test_the_partner_page_links_to_inviting_a_member_and_the_mail_is_confirmed(superuser_client):
    partner = PartnerFactory.create(name="Lydec")
    change = reverse("admin:partners_partner_change", args=[partner.pk])

    page = superuser_client.get(change)
    url = f"{reverse('admin:partners_partnerinvitation_add')}?partner={partner.pk}"
    assert f'<a href="{url}" class="addlink">{page.context["invite"]["label"]}</a>' in page.content.decode()

    form_page = superuser_client.get(url)
    form = form_page.context["adminform"].form
    assert form.initial["partner"] == str(partner.pk)
    # The form says a mail will leave, and how long its link lasts.
    help_text = form.fields["email"].help_text
    assert str(settings.INVITATION_VALID_DAYS) in help_text
    assert help_text in form_page.content.decode()

    invitation = {"partner": partner.pk, "email": "first@lydec.example.ma", "role": "owner"}
    response = superuser_client.post(url, invitation, follow=True)

    assert response.redirect_chain[-1][0] == change
    (message,) = [str(message) for message in response.context["messages"]]  # the mail's, not Django's "added"
    assert "first@lydec.example.ma" in message
    assert PartnerInvitation.objects.get().role == "owner"
    assert [message.to for message in send_outbox()] == [["first@lydec.example.ma"]]


def test_the_jury_invitation_asks_no_role_and_its_mail_says_jury(superuser_client):
    program = edition_2027(name="DataCity Casablanca 2027")
    change = reverse("admin:challenges_program_change", args=[program.pk])
    page = superuser_client.get(change)
    url = f"{reverse('admin:challenges_juryinvitation_add')}?program={program.pk}"
    assert f'<a href="{url}" class="addlink">{page.context["invite"]["label"]}</a>' in page.content.decode()
    form_page = superuser_client.get(url)
    assert "role" not in form_page.context["adminform"].form.fields

    response = superuser_client.post(url, {"program": program.pk, "email": "juror@example.org"}, follow=True)

    assert response.redirect_chain[-1][0] == change
    assert JuryInvitation.objects.get().role == "member"
    (message,) = send_outbox()
    assert "jury" in message.subject.lower()
    assert "DataCity Casablanca 2027" in message.subject
    assert "jury" in message.body.lower()
    assert "DataCity Casablanca 2027" in message.body
    assert "member" not in message.body.lower()
    assert "membre" not in message.body.lower()


# --- In a browser -------------------------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_phase_dates_of_a_new_edition_show_on_a_1280_pixel_screen(live_server, page_logged_in_as):
    page = page_logged_in_as(UserFactory.create(is_staff=True, is_superuser=True))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + reverse("admin:challenges_program_add"))

    for index in range(7):
        for name in ("starts_at_0", "starts_at_1", "ends_at_0", "ends_at_1"):
            box = page.locator(f'[name="phases-{index}-{name}"]').bounding_box()
            assert box is not None, f"phase {index}: {name} is not shown"
            assert box["x"] >= 0, f"phase {index}: {name} starts off-screen"
            assert box["x"] + box["width"] <= 1280, f"phase {index}: {name} ends at {box['x'] + box['width']:.0f} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "the page scrolls sideways"
