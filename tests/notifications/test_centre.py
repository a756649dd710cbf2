"""The notification centre and the preferences page: a person sees, opens and marks read their own notices only, the
header counts the unread ones, and the preferences they save decide how the next notices are mailed."""

import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.mail import EmailMessage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from datacity.accounts.models import User
from datacity.audit.models import AuditEntry
from datacity.notifications import kinds, services
from datacity.notifications.kinds import Delivery, Kind
from datacity.notifications.models import MailState, Notification, Preference
from tests.factories import PartnerFactory, StartupMembershipFactory, UserFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

# About a startup membership, whose name (`Person @ Startup`) reads its user and its startup: declared as related.
NOTICE = Kind("tests.centre_notice", "Test notices about your startup", related=("user", "startup"))
OTHER = Kind("tests.centre_other", "Other test notices", default=Delivery.DIGEST)  # about a partner
SECURITY = Kind("tests.centre_security", "Test security notices", optional=False)
# Their subject templates (kept in memory, see `subject_templates`): translated, about the notice's object.
SUBJECTS = {
    f"{NOTICE.template}_subject.txt": '{% load i18n %}[{{ site_name }}] {% translate "Challenges" %}: {{ object }}',
    f"{OTHER.template}_subject.txt": "[{{ site_name }}] {{ object }}",
}


@pytest.fixture(autouse=True)
def test_kinds(monkeypatch):
    """Kinds declared for these tests only: gone again after each test, so no other page lists them."""
    for kind in (NOTICE, OTHER, SECURITY):
        monkeypatch.setitem(kinds.KINDS, kind.name, kind)


@pytest.fixture
def subject_templates(settings):
    """The test kinds' subject templates, served from memory before the project's own templates."""
    engine = settings.TEMPLATES[0]
    loaders = [
        ("django.template.loaders.locmem.Loader", SUBJECTS),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = [{**engine, "APP_DIRS": False, "OPTIONS": {**engine["OPTIONS"], "loaders": loaders}}]


def written(user, subject: str, *, kind: Kind = NOTICE) -> Notification:
    """A notice whose mail was written in advance (as allauth's and invitations are): its subject is stored."""
    key = uuid.uuid4().hex
    message = EmailMessage(subject=subject, body="Body.", to=[user.email])
    services.notify_mail(kind=kind, message=message, recipient=user, key=key)
    return Notification.objects.get(recipient=user, key=key)


def titles(html: str, *subjects: str) -> list[str]:
    """`subjects` in the order the page shows them (those it does not show left out)."""
    return sorted((subject for subject in subjects if subject in html), key=html.index)


# --- The centre -------------------------------------------------------------------------------------------------
def test_the_centre_lists_the_persons_own_notices_newest_first_unread_ones_marked(client, monkeypatch):
    amina, other = UserFactory.create(), UserFactory.create()
    first = written(amina, "Your startup was selected")
    written(amina, "Your application was received")
    first.created_at = timezone.now() - timedelta(days=2)
    first.read_at = timezone.now()
    first.save()
    written(other, "Someone else's notice")
    written(amina, "A security notice", kind=SECURITY)
    # A kind that is not shown in the centre (a password reset's mail, say) stays out of it.
    hidden = Kind("tests.centre_mail_only", "Mail only", in_app=False)
    monkeypatch.setitem(kinds.KINDS, hidden.name, hidden)
    written(amina, "A mail only", kind=hidden)
    client.force_login(amina)
    response = client.get("/en/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert titles(html, "Your startup was selected", "Your application was received", "A security notice") == [
        "A security notice",
        "Your application was received",
        "Your startup was selected",
    ]
    assert "Someone else's notice" not in html
    assert "A mail only" not in html
    # Unread: a visible word inside the button (read out with the title), not a colour alone.
    assert html.count('class="tag notice-state">Unread</span>') == 2
    assert html.count("notice-unread") == 2
    assert f'<time datetime="{timezone.localtime(first.created_at).isoformat()}">' in html
    assert "You have 2 unread notifications." in html
    assert 'action="/en/notifications/read/"' in html


def test_a_notice_is_titled_in_the_language_of_the_page_without_the_mail_prefix(client, subject_templates):
    membership = StartupMembershipFactory.create(startup__name="Kezakoo", user__full_name="Amina", user__language="fr")
    amina = membership.user
    services.notify(kind=NOTICE, recipients=[amina], obj=membership, url="/startups/x/")
    client.force_login(amina)
    assert "Challenges: Amina @ Kezakoo" in client.get("/en/notifications/").content.decode()
    arabic = client.get("/ar/notifications/").content.decode()
    assert "التحديات: Amina @ Kezakoo" in arabic
    assert 'dir="rtl"' in arabic
    assert "[DataCity]" not in arabic


def test_the_centre_pages_by_25_and_survives_any_page_number(client):
    amina = UserFactory.create()
    for number in range(30):
        written(amina, f"Notice number {number}.")
    client.force_login(amina)
    html = client.get("/en/notifications/").content.decode()
    assert html.count('class="notice-open"') == 25
    assert "Notice number 29." in html
    assert "Notice number 4." not in html
    assert "Page 1 of 2" in html
    for page in ("2", "0", "-1", "abc", "9" * 30, "x" * 10_000):
        response = client.get("/en/notifications/", {"page": page})
        assert response.status_code == 200
    assert "Notice number 4." in client.get("/en/notifications/", {"page": "2"}).content.decode()


def test_the_centre_is_for_logged_in_people(client):
    response = client.get("/en/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/?next=")


def test_the_centre_query_count_is_constant(client, subject_templates):
    amina = UserFactory.create()
    client.force_login(amina)
    number = 0

    def grow(n):
        nonlocal number
        while Notification.objects.filter(recipient=amina).count() < n:
            # Rendered from the kinds' templates about objects of two models, and written in advance.
            if number % 3 == 0:
                services.notify(
                    kind=NOTICE, recipients=[amina], obj=StartupMembershipFactory.create(), url="/startups/"
                )
            elif number % 3 == 1:
                services.notify(kind=OTHER, recipients=[amina], obj=PartnerFactory.create(), url="/partners/")
            else:
                written(amina, f"Written notice {number}")
            number += 1

    # Session, user, MFA's jury check, the header's unread count, the page's count, its rows, their objects (one
    # query per model).
    assert_constant_queries(client, "/en/notifications/", grow, at_most=8)


# --- The header -------------------------------------------------------------------------------------------------
def notification_queries(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "notifications_notification" in query["sql"]]


def test_the_header_shows_the_unread_count_in_words_with_one_query(client):
    amina = UserFactory.create()
    written(amina, "One")
    written(amina, "Two")
    written(UserFactory.create(), "Someone else's")
    client.force_login(amina)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/en/me/").content.decode()
    assert '<a href="/en/notifications/">Notifications (2 unread)</a>' in html
    assert len(notification_queries(queries)) == 1
    services.mark_read(user=amina)
    html = client.get("/en/me/").content.decode()
    assert '<a href="/en/notifications/">Notifications</a>' in html


def test_anonymous_pages_do_not_count_notifications(client):
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/en/").content.decode()
    assert "/en/notifications/" not in html
    assert notification_queries(queries) == []


# --- Opening and marking read -----------------------------------------------------------------------------------
def test_opening_a_notice_marks_it_read_and_follows_its_link_in_the_page_language(client):
    amina = UserFactory.create()
    notification = written(amina, "Selected")
    Notification.objects.filter(pk=notification.pk).update(url="/startups/kezakoo/")
    other = written(amina, "Still unread")
    client.force_login(amina)
    response = client.post(f"/en/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/en/startups/kezakoo/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    other.refresh_from_db()
    assert other.read_at is None
    # Opening it again changes nothing and still leads there; a GET changes nothing at all.
    assert client.post(f"/en/notifications/{notification.pk}/open/")["Location"] == "/en/startups/kezakoo/"
    assert client.get(f"/en/notifications/{other.pk}/open/").status_code == 405
    other.refresh_from_db()
    assert other.read_at is None


@pytest.mark.parametrize(
    "url",
    ["", "https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)", "relative/path/"],
)
def test_a_notice_leads_only_to_this_site_otherwise_back_to_the_centre(client, url):
    amina = UserFactory.create()
    notification = written(amina, "A notice")
    Notification.objects.filter(pk=notification.pk).update(url=url)
    client.force_login(amina)
    response = client.post(f"/en/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/en/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notice_is_not_found_and_the_attempt_audited(client):
    amina, intruder = UserFactory.create(), UserFactory.create()
    notification = written(amina, "Private")
    client.force_login(intruder)
    assert client.post(f"/en/notifications/{notification.pk}/open/").status_code == 404
    assert client.get(f"/en/notifications/{notification.pk}/open/").status_code == 404
    refusals = AuditEntry.objects.filter(action="access.refused", object_id=str(notification.pk))
    assert refusals.count() == 2
    assert {entry.actor for entry in refusals} == {intruder}
    notification.refresh_from_db()
    assert notification.read_at is None
    # An id that does not exist (or does not fit a column) is not found either, and nothing is audited about it.
    for missing in (notification.pk + 1000, 10**30):
        assert client.post(f"/en/notifications/{missing}/open/").status_code == 404
    assert AuditEntry.objects.filter(action="access.refused").count() == 2


def test_mark_all_as_read_marks_the_persons_notices_only(client):
    amina, other = UserFactory.create(), UserFactory.create()
    written(amina, "One")
    written(amina, "Two")
    theirs = written(other, "Theirs")
    client.force_login(amina)
    assert client.get("/en/notifications/read/").status_code == 405
    response = client.post("/en/notifications/read/", follow=True)
    assert response.redirect_chain == [("/en/notifications/", 302)]
    html = response.content.decode()
    assert "All your notifications are marked as read." in html
    assert "You have no unread notification." in html
    assert not Notification.objects.filter(recipient=amina, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- Preferences ------------------------------------------------------------------------------------------------
def preferences_data(**deliveries: str) -> dict[str, str]:
    """The preferences form as a browser sends it: every optional kind (the test kinds and the platform's) at its
    default, but for `deliveries` (by kind name), and English for the mails."""
    data = {f"delivery-{kind.name}": str(kind.default) for kind in kinds.optional_kinds()}
    return {"language": "en"} | data | {f"delivery-{name}": value for name, value in deliveries.items()}


def test_the_preferences_page_lists_optional_kinds_as_choices_and_mandatory_ones_as_always_sent(client):
    amina = UserFactory.create(language="ar")
    Preference.objects.create(user=amina, kind=NOTICE.name, delivery=Delivery.OFF)
    client.force_login(amina)
    response = client.get("/en/notifications/preferences/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<legend>Test notices about your startup</legend>" in html
    assert "<legend>Other test notices</legend>" in html
    # Each kind's current delivery is checked: the person's choice, else the kind's default.
    assert f'name="delivery-{NOTICE.name}" value="off" id="id_delivery-{NOTICE.name}_2" required checked' in html
    assert f'name="delivery-{OTHER.name}" value="digest" id="id_delivery-{OTHER.name}_1" required checked' in html
    assert 'name="language" value="ar" id="id_language_1" required checked' in html
    assert '<label for="id_language_1" lang="ar">' in html
    assert "<li>Test security notices</li>" in html
    assert "<legend>Test security notices</legend>" not in html
    assert "Daily digest" not in html  # the digest gathers notices; it is no kind of notice one chooses


def test_saved_preferences_decide_how_the_next_notices_are_mailed(client):
    amina = UserFactory.create(language="fr")
    client.force_login(amina)
    for delivery, state in (("off", MailState.NONE), ("digest", MailState.DIGEST), ("immediately", MailState.PENDING)):
        response = client.post("/en/notifications/preferences/", preferences_data(**{NOTICE.name: delivery}))
        assert response.status_code == 302
        assert response["Location"] == "/en/notifications/preferences/"
        assert services.delivery_for(amina)[NOTICE.name] == delivery
        services.notify(kind=NOTICE, recipients=[amina], key=delivery)
        assert Notification.objects.get(recipient=amina, key=delivery).mail_state == state
    assert "Your notification preferences are saved." in client.get("/en/notifications/preferences/").content.decode()
    amina.refresh_from_db()
    assert amina.language == "en"
    entries = AuditEntry.objects.filter(action="notifications.preferences_changed", actor=amina).order_by("pk")
    assert entries.count() == 3
    assert entries[0].details["language"] == {"from": "fr", "to": "en"}
    assert "language" not in entries[1].details  # unchanged
    assert (
        entries[2].details["choices"] | {NOTICE.name: "immediately", OTHER.name: "digest"}
        == entries[2].details["choices"]
    )
    # The next notices are written in the language chosen for the mails.
    services.notify(kind=NOTICE, recipients=User.objects.filter(pk=amina.pk), key="language")
    assert Notification.objects.get(recipient=amina, key="language").language == "en"


def test_a_mandatory_kind_ignores_off(client):
    amina = UserFactory.create()
    client.force_login(amina)
    # The page does not offer it; a crafted form asking for it is refused as a whole.
    response = client.post("/en/notifications/preferences/", preferences_data(**{SECURITY.name: "off"}))
    assert response.status_code == 400
    assert "Only the kinds of notice listed on this page can be changed." in response.content.decode()
    # The service, called directly, ignores it too: security notices are always mailed right away.
    services.set_preferences(user=amina, choices={SECURITY.name: Delivery.OFF})
    assert not Preference.objects.filter(user=amina).exists()
    services.notify(kind=SECURITY, recipients=[amina])
    assert Notification.objects.get(recipient=amina, kind=SECURITY.name).mail_state == MailState.PENDING


HOSTILE = {
    "unknown-kind": {"delivery-no.such.kind": "off"},
    "unknown-kind-array": {"delivery-tests.centre_notice[]": "off"},
    "bad-delivery": {f"delivery-{NOTICE.name}": "sometimes"},
    "huge-delivery": {f"delivery-{NOTICE.name}": "x" * 100_000},
    "nul-delivery": {f"delivery-{NOTICE.name}": "off\x00"},
    "two-deliveries": {f"delivery-{NOTICE.name}": ["off", "never"]},
    "missing-delivery": {f"delivery-{NOTICE.name}": ""},
    "bad-language": {"language": "de"},
    "huge-language": {"language": "fr" * 50_000},
    "bidi-language": {"language": "\u202efr"},
    "huge-key": {"delivery-" + "k" * 100_000: "off"},
}


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_preferences_are_refused_with_a_form_error_and_change_nothing(client, hostile):
    amina = UserFactory.create(language="fr")
    client.force_login(amina)
    # Sent as a browser sends a form (a 100,000-character field name in a multipart body is refused by Django itself).
    body = urlencode(preferences_data() | hostile, doseq=True)
    response = client.post("/en/notifications/preferences/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please correct the errors below." in html
    assert "x" * 1000 not in html  # a huge value is not echoed back
    assert not Preference.objects.filter(user=amina).exists()
    amina.refresh_from_db()
    assert amina.language == "fr"
    assert not AuditEntry.objects.filter(action="notifications.preferences_changed").exists()


def test_the_preferences_service_refuses_unknown_values():
    amina = UserFactory.create()
    for choices, language in (({"no.such.kind": "off"}, None), ({NOTICE.name: "sometimes"}, None), ({}, "de")):
        with pytest.raises(ValueError, match="Unknown"):
            services.set_preferences(user=amina, choices=choices, language=language)
    assert not Preference.objects.exists()
