"""Bad input never gets a 500, and what is refused leaves nothing behind.

Every form of the platform, public and for members (sign-up, login, email change, password reset, startup profile,
members page, invitation links), and the admin's add forms as staff, receive oversize, multi-line, control-character
and wrong-type values, and arrays where one value is expected. A 500 would raise in the test client; a refusal
must leave every table the forms write to as it was (the audit log aside: refusals are recorded there).
"""

import re
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from challenges.models import Challenge, Phase, Program, Theme
from datacity.accounts.models import User
from datacity.audit.models import AuditEntry
from datacity.core.models import MembershipRole
from datacity.core.organisations import invitation_create
from partners.models import Partner
from startups.models import (
    Application,
    EligibilityCondition,
    Question,
    QuestionKind,
    Startup,
    StartupInvitation,
    StartupMembership,
)
from startups.services import STARTUP_SPACE
from tests.factories import (
    ChallengeFactory,
    PartnerFactory,
    PhaseFactory,
    ProgramFactory,
    StartupFactory,
    StartupMembershipFactory,
    ThemeFactory,
    UserFactory,
    open_call,
)
from tests.utils import group_in_mail, send_outbox

pytestmark = pytest.mark.django_db

PASSWORD = "a-strong-test-password"

HOSTILE = {
    "oversize": "x" * 10_000,
    "oversize-email": "a" * 250 + "@example.org",  # a valid address, longer than any column keeps
    "multi-line": "Kezakoo\r\nBcc: victim@example.org",
    "nul": "Keza\x00koo",
    "escape": "Keza\x1b[2Jkoo",
    "bidi-override": "Keza\u202ekoo",
    "wrong-type": "not a number nor a date",
    "huge-number": "9" * 30,
    "negative": "-1",
}

# Everything the forms may write to, compared row by row before and after each refused submission (one query: a
# digest of each table's rows).
WATCHED_APPS = {"accounts", "account", "mfa", "partners", "challenges", "startups", "datasets"}


def stored() -> list[tuple[str, str]]:
    models: list[type[Model]] = [
        model for model in apps.get_models(include_auto_created=True) if model._meta.app_label in WATCHED_APPS
    ]
    models.append(Group)
    tables = [model._meta.db_table for model in models]
    digest = "SELECT %s, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
    sql = " UNION ALL ".join(digest.format(connection.ops.quote_name(table)) for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        # UNION ALL promises no order (PostgreSQL may run its parts in parallel): sorted by table.
        return sorted(cursor.fetchall())


def submit(client: Client, url: str, data: dict):
    """POST `data` to `url`: never a 500 (the test client raises it), and a refusal leaves everything as it was."""
    cache.clear()  # the rate limits would otherwise answer 429 before the form is even read
    before = stored()
    response = client.post(url, data)
    assert response.status_code < 500, (url, data)
    if response.status_code not in {301, 302, 303}:
        assert stored() == before, f"{url} refused {data!r} yet stored something"
    return response


def variants(base: dict, value) -> list[dict]:
    """`base` with `value` in each field in turn, then in all of them at once."""
    return [*({**base, name: value} for name in base), dict.fromkeys(base, value)]


def array_variants(base: dict) -> list[dict]:
    """Each field sent as an array (`field[]`), then twice (`field=a&field=b`)."""
    shapes = []
    for name, value in base.items():
        others = {key: other for key, other in base.items() if key != name}
        shapes += [{**others, f"{name}[]": [value, value]}, {**others, name: [value, "second"]}]
    return shapes


@pytest.fixture(params=[*HOSTILE, "array"])
def hostile(request):
    """One hostile value (or "array": every field in the shape of an array) for each run of a walk."""
    return request.param


def submissions(base: dict, hostile: str) -> list[dict]:
    return array_variants(base) if hostile == "array" else variants(base, HOSTILE[hostile])


@pytest.fixture
def world():
    owner = UserFactory.create(email="owner@example.org", verified_email=True)
    startup = StartupFactory.create(name="Kezakoo")
    StartupMembershipFactory.create(startup=startup, user=owner, role=MembershipRole.OWNER)
    member = StartupMembershipFactory.create(startup=startup, role=MembershipRole.MEMBER)
    invitation, token = invitation_create(
        space=STARTUP_SPACE, organisation=startup, email="pending@example.org", role="member", actor=owner
    )
    return {"owner": owner, "startup": startup, "member": member, "invitation": invitation, "token": token}


def test_public_forms_refuse_hostile_input_without_error(hostile, world):
    client = Client()
    people = set(User.objects.values_list("pk", flat=True))
    forms = [
        ("/en/accounts/signup/", {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD}),
        ("/en/accounts/login/", {"login": "owner@example.org", "password": "not-the-password"}),
        ("/en/accounts/password/reset/", {"email": "owner@example.org"}),
    ]
    for url, base in forms:
        for data in submissions(base, hostile):
            submit(client, url, data)
    assert not client.session.get("_auth_user_id")
    assert set(User.objects.values_list("pk", flat=True)) == people


def test_the_new_password_form_refuses_hostile_input_without_error(hostile, world):
    client = Client()
    client.post("/en/accounts/password/reset/", {"email": "owner@example.org"})
    link = group_in_mail(r"https?://[^/\s]+(/\S*/accounts/password/reset/key/\S+/)", send_outbox()[-1])
    url = client.get(link)["Location"]
    for data in submissions({"password1": "Nouveau-mot-2027!", "password2": "Nouveau-mot-2027!"}, hostile):
        submit(client, url, data)


def test_member_forms_refuse_hostile_input_without_error(client, hostile, world):
    startup, member, invitation = world["startup"], world["member"], world["invitation"]
    client.force_login(world["owner"])
    profile = {
        "name": "Kezakoo",
        "pitch_fr": "Des supports de formation.",
        "description_fr": "Une startup de Casablanca.",
        "sector": "education",
        "website": "https://kezakoo.example",
        "city": "Casablanca",
        "founded_year": "2016",
    }
    members = f"/en/startups/{startup.slug}/members/"
    forms = [
        ("/en/accounts/email/", {"action_add": "", "email": "second@example.org"}),
        ("/en/accounts/email/", {"action_primary": "", "email": "owner@example.org"}),
        ("/en/accounts/email/", {"action_send": "", "email": "owner@example.org"}),
        ("/en/startups/new/", profile),
        (f"/en/startups/{startup.slug}/edit/", profile),
        (members, {"action": "invite", "email": "cofounder@example.org", "role": "member"}),
        (members, {"action": "role", "membership": str(member.pk), "role": "owner"}),
        (members, {"action": "remove", "membership": str(member.pk)}),
        (members, {"action": "revoke", "invitation": str(invitation.pk)}),
    ]
    for url, base in forms:
        for data in submissions(base, hostile):
            submit(client, url, data)


def test_invitation_links_with_hostile_tokens_are_refused_without_error(client, hostile, world):
    client.force_login(UserFactory.create(email="pending@example.org"))
    token = HOSTILE.get(hostile, "token[]")
    for prefix in ("/en/startups/invitations/", "/en/partners/invitations/", "/en/jury/invitations/"):
        url = f"{prefix}{quote(token, safe='')}/"
        assert client.get(url).status_code < 500
        submit(client, url, {"token": token, "token[]": [token, token]})
    assert not StartupMembership.objects.filter(user__email="pending@example.org").exists()


# The apps whose add forms staff use (Celery beat's schedules are a third-party admin, left out).
ADMIN_APPS = {"accounts", "account", "auth", "mfa", "partners", "challenges", "startups", "datasets"}


def admin_add_pages(client: Client):
    """The add page of every model the admin lets staff add to."""
    for model in admin.site._registry:
        if model._meta.app_label not in ADMIN_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        response = client.get(url)
        if response.status_code == 403:  # read-only in the admin (the audit log, phase transitions...)
            continue
        assert response.status_code == 200, url
        yield url, response.context["adminform"].form, response.context["inline_admin_formsets"]


def is_autocomplete(field) -> bool:
    widget = getattr(field.widget, "widget", field.widget)  # the admin wraps related widgets
    return isinstance(widget, AutocompleteMixin)


def admin_submissions(form, inlines, hostile: str) -> list[dict]:
    """Every field of the form and of one row of each inline, hostile; then with the inlines' counts hostile too.

    Autocomplete fields are left empty: Django's autocomplete widget cannot show a form again with an id that is
    not a number (see the test after this one).
    """
    value = HOSTILE.get(hostile, "1")

    def values(fields: dict, prefix: str = "") -> dict:
        return {f"{prefix}{name}": "" if is_autocomplete(field) else value for name, field in fields.items()}

    fields = values(form.fields)
    counts: dict[str, str] = {}
    rows: dict[str, str] = {}
    for inline in inlines:
        formset = inline.formset
        counts |= {f"{formset.prefix}-{name}": value for name in ("TOTAL_FORMS", "INITIAL_FORMS")}
        rows |= {f"{formset.prefix}-TOTAL_FORMS": "1", f"{formset.prefix}-INITIAL_FORMS": "0"}
        rows |= values(formset.empty_form.fields, prefix=f"{formset.prefix}-0-")
    if hostile == "array":
        return [
            {**rows, **{f"{name}[]": [value, value] for name in fields}},
            {**rows, **{name: [value, value if sent else ""] for name, sent in fields.items()}},
        ]
    # Counts that are huge numbers only make Django build (and show) its maximum of rows: slow, and no news.
    return [{**fields, **rows}] + ([] if value.isdigit() else [{**fields, **counts}])


def test_admin_add_forms_refuse_hostile_input_without_error(client, hostile, world):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    walked = []
    for url, form, inlines in admin_add_pages(client):
        for data in admin_submissions(form, inlines, hostile):
            submit(client, url, data)
        walked.append(url)
    assert {"/admin/partners/partner/add/", "/admin/startups/startup/add/", "/admin/accounts/user/add/"} <= set(walked)


def test_admin_autocomplete_fields_take_ids_that_are_not_numbers_without_error(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    response = client.post("/admin/partners/partnerinvitation/add/", {"partner": "abc", "email": "x", "role": "x"})
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("partner", "invalid_choice")
    many = client.post("/admin/challenges/challenge/add/", {"co_sponsors": ["abc", "1x"], "owner": "§", "program": "-"})
    assert many.status_code == 200
    assert many.context["adminform"].form.has_error("co_sponsors")


def test_lists_and_searches_take_hostile_parameters_without_error(client, hostile, world):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    value = HOSTILE.get(hostile, "x")
    query = {"q": value, "program": value, "partner": value, "theme": value, "sector": value, "page": value}
    for url in (
        "/en/challenges/",
        "/en/startups/",
        "/en/partners/",
        "/admin/partners/partner/",
        "/admin/audit/auditentry/",
    ):
        data = {f"{name}[]": [value, value] for name in query} if hostile == "array" else query
        assert client.get(url, data).status_code < 500, url


# --- Names are single-line -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Kezakoo\nBcc: victim@example.org", "Keza\rkoo", "Keza\tkoo", "Keza\x1bkoo"])
def test_every_name_and_title_is_a_single_line(value):
    named = [
        (PartnerFactory.create(), ["name", "name_fr", "name_ar", "name_en"]),
        (StartupFactory.create(), ["name", "city"]),
        (ProgramFactory.create(), ["name", "name_fr", "city", "city_fr"]),
        (PhaseFactory.create(order=0), ["title", "title_fr"]),
        (ThemeFactory.create(), ["name", "name_fr"]),
        (ChallengeFactory.create(), ["title", "title_fr", "title_ar", "title_en"]),
        (UserFactory.create(), ["full_name"]),
    ]
    for obj, fields in named:
        for field in fields:
            original = getattr(obj, field)
            setattr(obj, field, value)
            with pytest.raises(ValidationError) as refused:
                obj.full_clean()
            assert field in refused.value.message_dict, (type(obj), field)
            setattr(obj, field, original)


def test_names_in_arabic_with_their_direction_marks_stay_allowed():
    partner = PartnerFactory.create(name="\u0644\u064a\u062f\u0643 \u200fLydec\u200e")
    partner.full_clean()


def test_a_startup_name_with_a_line_break_is_refused_by_the_form(client, world):
    client.force_login(world["owner"])
    response = client.post(
        "/en/startups/new/",
        {"name": "Kezakoo\r\nBcc: victim@example.org", "pitch_fr": "Des supports.", "sector": "education"},
    )
    assert response.status_code == 400
    assert "on one line" in response.content.decode()
    assert not Startup.objects.filter(name__contains="Bcc").exists()


def test_the_admin_refuses_names_with_a_line_break(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/partners/partner/add/",
        {
            "name_fr": "Lydec\nBcc: victim@example.org",
            "slug": "lydec",
            "kind": "company",
            "is_public": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("name_fr", "not_single_line")
    assert not Partner.objects.exists()
    for url, data in [
        ("/admin/challenges/theme/add/", {"name_fr": "Eau\nBcc: x@example.org", "slug": "eau"}),
        ("/admin/challenges/program/add/", {"name_fr": "Edition\r\n2027", "slug": "edition-2027"}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 200
        assert response.context["adminform"].form.has_error("name_fr", "not_single_line")
    assert not Theme.objects.exists()
    assert not Program.objects.exists()
    assert not Challenge.objects.exists()
    assert not Phase.objects.exists()


def test_an_invitation_to_an_organisation_whose_name_has_a_line_break_is_sent_on_one_line(client, world):
    """A name stored before names were checked still makes a valid mail: the subject is put on one line."""
    startup = world["startup"]
    Startup.objects.filter(pk=startup.pk).update(name="Kezakoo\r\nBcc: victim@example.org")
    client.force_login(world["owner"])
    with translation.override("en"):
        response = client.post(
            f"/en/startups/{startup.slug}/members/",
            {"action": "invite", "email": "cofounder@example.org", "role": "member"},
        )
    assert response.status_code == 302
    [message] = [message for message in send_outbox() if message.to == ["cofounder@example.org"]]
    assert not re.search(r"[\r\n]", str(message.subject))
    assert message.recipients() == ["cofounder@example.org"]
    assert StartupInvitation.objects.filter(email="cofounder@example.org").exists()
    assert AuditEntry.objects.filter(action="startup.invitation_sent", details__email_to="cofounder@example.org")


# --- The members page names objects through forms --------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "abc", "1.5", "-1", "9" * 30, "\x00", "1 OR 1=1"])
def test_the_members_page_answers_404_to_ids_that_name_nothing(client, world, value):
    client.force_login(world["owner"])
    url = f"/en/startups/{world['startup'].slug}/members/"
    for data in [
        {"action": "remove", "membership": value},
        {"action": "role", "membership": value, "role": "owner"},
        {"action": "revoke", "invitation": value},
        {"action": "remove"},
        {"action": "revoke"},
    ]:
        assert submit(client, url, data).status_code == 404, data
    assert not AuditEntry.objects.filter(action="access.refused").exists()


def test_the_members_page_refuses_a_role_that_does_not_exist(client, world):
    client.force_login(world["owner"])
    member = world["member"]
    url = f"/en/startups/{world['startup'].slug}/members/"
    for role in ["", "superuser", "x" * 10_000, ["owner", "superuser"]]:
        response = submit(client, url, {"action": "role", "membership": member.pk, "role": role})
        assert response.status_code == 400
        assert "Choose a role from the list." in response.content.decode()
    member.refresh_from_db()
    assert member.role == MembershipRole.MEMBER


def test_application_forms_refuse_hostile_input_without_error(client, hostile, world):
    """The eligibility step, the application form (every kind of question, saved as a draft) and the withdrawal."""
    program = ProgramFactory.create(is_published=True)
    open_call(program)
    challenge = ChallengeFactory.create(program=program)
    condition = EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")
    questions = {
        kind: Question.objects.create(program=program, kind=kind, label=str(kind.label), choices="A\nB\nC")
        for kind in QuestionKind
        if kind != QuestionKind.FILE
    }
    client.force_login(world["owner"])
    apply = f"/en/startups/apply/{challenge.pk}/"
    for data in submissions({f"eligibility_{condition.pk}": "yes"}, hostile):
        submit(client, apply, data)
    cache.clear()
    client.post(apply, {f"eligibility_{condition.pk}": "yes"})
    application = Application.objects.get(startup=world["startup"], challenge=challenge)
    answers = {
        QuestionKind.SHORT_TEXT: "Three pilots",
        QuestionKind.LONG_TEXT: "Measured weekly.",
        QuestionKind.SINGLE_CHOICE: "1",
        QuestionKind.MULTIPLE_CHOICE: "2",
        QuestionKind.NUMBER: "12",
        QuestionKind.URL: "https://kezakoo.example",
        QuestionKind.YES_NO: "yes",
    }
    form = {
        "solution": "Sensors.",
        "data_use": "Counts.",
        "team": "Three.",
        "stage": "prototype",
        f"eligibility_{condition.pk}": "yes",
        **{f"question_{question.pk}": answers[kind] for kind, question in questions.items()},
    }
    edit = f"/en/startups/applications/{application.pk}/edit/"
    for data in submissions(form, hostile):
        application.refresh_from_db()
        submit(client, edit, {**data, "revision": str(application.revision), "action": "save"})
    withdraw = f"/en/startups/applications/{application.pk}/withdraw/"
    for data in submissions({"confirm": "yes"}, hostile):
        submit(client, withdraw, data)
