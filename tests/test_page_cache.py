"""Public pages from the cache (datacity/pagecache.py): anonymous visitors only, dropped when what they show changes
or when a phase starts or ends, never a member's page; gzip only where the page holds no secret."""

import gzip
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from redis import Redis

from challenges import services as challenge_services
from challenges.models import ChallengeStatus
from datacity import pagecache
from datacity.audit.models import AuditEntry
from tests.admin_forms import admin_change_data
from tests.factories import ChallengeFactory, PhaseFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    """Off in the rest of the suite (datacity/settings/test.py), on here as in production."""
    settings.PAGE_CACHE_SECONDS = 300


def get(client: Client, url: str, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return response


def redis_ttl_seconds(url: str, *, language: str = "fr") -> float:
    """The time to live Redis gives the entry of `url` (as the test client asks it), in seconds."""
    request = RequestFactory().get(url)
    with translation.override(language):
        key = pagecache.page_key(request)
    redis = Redis.from_url(settings.CACHES["default"]["LOCATION"])
    milliseconds = redis.pttl(cache.make_and_validate_key(key))
    assert milliseconds > 0, f"no entry for {url}"
    return milliseconds / 1000


@pytest.fixture
def challenge():
    return ChallengeFactory.create(status=ChallengeStatus.PUBLISHED, title_fr="Titre d'origine")


def test_a_page_is_kept_for_anonymous_visitors_and_changes_when_staff_edit_it_in_the_admin(
    client, challenge, django_capture_on_commit_callbacks
):
    url = challenge.get_absolute_url()
    first, second = get(client, url), get(client, url)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert "Titre d&#x27;origine" in second.content.decode()

    staff = Client()
    staff.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    change_url = reverse("admin:challenges_challenge_change", args=[challenge.pk])
    data = admin_change_data(staff.get(change_url)) | {"title_fr": "Titre modifié"}
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(change_url, data).status_code == 302

    after = get(client, url)
    assert after["X-Cache"] == "miss"
    assert "Titre modifié" in after.content.decode()


def test_a_change_through_a_service_drops_the_pages_and_a_refusal_does_not(
    client, challenge, django_capture_on_commit_callbacks
):
    get(client, "/challenges/")
    assert get(client, "/challenges/")["X-Cache"] == "hit"
    version = pagecache.content_version()

    # An anonymous visitor asking for an unpublished challenge is refused, and the refusal recorded: no content changed.
    hidden = ChallengeFactory.create(status=ChallengeStatus.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(hidden.get_absolute_url()).status_code == 404
    assert AuditEntry.objects.filter(action="access.refused").exists()
    assert pagecache.content_version() == version
    assert get(client, "/challenges/")["X-Cache"] == "hit"

    challenge.title_fr = "Un titre revu"
    with django_capture_on_commit_callbacks(execute=True):
        challenge_services.challenge_save(challenge=challenge, actor=UserFactory.create(is_staff=True))
    assert pagecache.content_version() == version + 1
    after = get(client, "/challenges/")
    assert after["X-Cache"] == "miss"
    assert "Un titre revu" in after.content.decode()


def test_a_write_rolled_back_keeps_the_pages(client, challenge, django_capture_on_commit_callbacks):
    from django.db import transaction

    get(client, "/challenges/")
    version = pagecache.content_version()
    challenge.title_fr = "Jamais publié"
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        challenge_services.challenge_save(challenge=challenge, actor=None)
        raise RuntimeError
    assert pagecache.content_version() == version
    assert get(client, "/challenges/")["X-Cache"] == "hit"


def test_an_upcoming_phase_turns_open_at_its_start_second_without_any_write(client):
    program = ProgramFactory.create()
    starts_at = timezone.now() + timedelta(seconds=2)
    PhaseFactory.create(program=program, order=1, starts_at=starts_at, ends_at=starts_at + timedelta(days=1))
    url = program.get_absolute_url()

    before = get(client, url)
    assert 'class="timeline-phase phase-upcoming"' in before.content.decode()
    assert redis_ttl_seconds(url) <= (starts_at - timezone.now()).total_seconds()
    assert get(client, url)["X-Cache"] == "hit"

    time.sleep(max(0.0, (starts_at - timezone.now()).total_seconds()))
    after = get(client, url)
    assert after["X-Cache"] == "miss"
    assert 'class="timeline-phase phase-open"' in after.content.decode()


def test_an_entry_lives_at_most_page_cache_seconds(client, settings):
    settings.PAGE_CACHE_SECONDS = 7
    ProgramFactory.create()
    get(client, "/")
    assert redis_ttl_seconds("/") <= 7


def test_a_member_never_gets_the_anonymous_page_from_the_cache(client, challenge):
    with translation.override("fr"):
        my_space = reverse("my_space")
    get(client, "/")
    anonymous = get(client, "/")
    assert anonymous["X-Cache"] == "hit"
    assert f'href="{my_space}"' not in anonymous.content.decode()

    client.force_login(UserFactory.create())
    member = get(client, "/")
    assert member["X-Cache"] == "bypass"
    assert f'href="{my_space}"' in member.content.decode()


def test_an_anonymous_visitor_never_gets_a_members_page(challenge):
    with translation.override("fr"):
        my_space = reverse("my_space")
    member = Client()
    member.force_login(UserFactory.create())
    assert f'href="{my_space}"' in get(member, "/").content.decode()
    assert f'href="{my_space}"' in get(member, "/").content.decode()

    anonymous = get(Client(), "/")
    assert anonymous["X-Cache"] == "miss"
    assert f'href="{my_space}"' not in anonymous.content.decode()


def test_the_message_after_logging_out_is_shown_and_not_kept(client, challenge):
    get(client, "/")
    assert get(client, "/")["X-Cache"] == "hit"
    client.force_login(UserFactory.create())

    page = client.post(reverse("account_logout"), follow=True)
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == "/"
    assert page["X-Cache"] == "bypass"
    assert 'class="messages"' in page.content.decode()
    again = get(client, "/")
    assert 'class="messages"' not in again.content.decode()


def test_anonymous_pages_are_gzipped_and_pages_with_a_csrf_token_are_not(client, challenge):
    for expected in ("miss", "hit"):
        response = get(client, "/", HTTP_ACCEPT_ENCODING="gzip, deflate")
        assert response["X-Cache"] == expected
        assert response["Content-Encoding"] == "gzip"
        assert b"<html" in gzip.decompress(response.content)
        assert "Accept-Encoding" in response["Vary"]

    # The login form carries a CSRF token: never compressed, even for an anonymous visitor.
    login = get(client, reverse("account_login"), HTTP_ACCEPT_ENCODING="gzip")
    assert "csrfmiddlewaretoken" in login.content.decode()
    assert not login.has_header("Content-Encoding")

    client.force_login(UserFactory.create())
    member = get(client, "/", HTTP_ACCEPT_ENCODING="gzip")
    assert "csrfmiddlewaretoken" in member.content.decode()
    assert not member.has_header("Content-Encoding")


def test_a_kept_page_is_gzipped_once_when_stored_and_decompressed_for_a_client_without_gzip(client, challenge):
    miss = get(client, "/")
    hits = [get(client, "/", HTTP_ACCEPT_ENCODING="gzip, deflate, br") for _ in range(3)]
    # Django's gzip pads every compression with a random length: equal bodies were compressed once, when stored.
    assert len({hit.content for hit in hits}) == 1
    for hit in hits:
        assert (hit["X-Cache"], hit["Content-Encoding"]) == ("hit", "gzip")
        assert hit["Content-Length"] == str(len(hit.content))
        assert "Accept-Encoding" in hit["Vary"]
    assert gzip.decompress(hits[0].content) == miss.content

    plain = get(client, "/")
    assert plain["X-Cache"] == "hit"
    assert not plain.has_header("Content-Encoding")
    assert plain.content == miss.content
    assert "Accept-Encoding" in plain["Vary"]


def test_an_entry_is_served_only_at_the_version_it_was_built_at(client, challenge):
    get(client, "/challenges/")
    assert get(client, "/challenges/")["X-Cache"] == "hit"
    pagecache.bump_version()
    assert get(client, "/challenges/")["X-Cache"] == "miss"
    assert get(client, "/challenges/")["X-Cache"] == "hit"

    # A version gone from the cache (evicted) is made again, past any value an entry was built at.
    version = pagecache.content_version()
    cache.delete(pagecache.VERSION_KEY)
    assert get(client, "/challenges/")["X-Cache"] == "miss"
    assert pagecache.content_version() > version
    assert get(client, "/challenges/")["X-Cache"] == "hit"


def test_the_cache_backend_keeps_one_redis_client():
    """Django's makes a redis-py client on every call, which cost as much as a cached page's round trip to Redis."""
    backend = cache._cache  # type: ignore[attr-defined]  # the RedisCacheClient under the cache
    client = backend.get_client()
    assert backend.get_client() is client
    assert backend.get_client(write=True) is client  # one server: reads and writes share its pool
    cache.set("pagecache-test:one-client", 41)
    cache.incr("pagecache-test:one-client")
    assert cache.get_many(["pagecache-test:one-client", "pagecache-test:none"]) == {"pagecache-test:one-client": 42}


def test_languages_and_query_strings_never_share_an_entry(client, challenge):
    urls = ["/challenges/", "/en/challenges/", "/ar/challenges/", "/challenges/?page=1", "/challenges/?q=eau"]
    firsts = [get(client, url) for url in urls]
    assert [response["X-Cache"] for response in firsts] == ["miss"] * len(urls)
    assert [get(client, url)["X-Cache"] for url in urls] == ["hit"] * len(urls)
    languages = {response.content.decode().split('lang="', 1)[1].split('"', 1)[0] for response in firsts}
    assert languages == {"fr", "en", "ar"}


def test_private_pages_and_forms_are_never_kept(client, challenge):
    for url in (reverse("account_login"), reverse("health"), "/api/challenges/"):
        response = client.get(url)
        assert not response.has_header("X-Cache"), url


def test_headers_of_a_kept_page(client, challenge):
    miss, hit = get(client, "/"), get(client, "/")
    for response in (miss, hit):
        assert {"Cookie", "Accept-Language"} <= {part.strip() for part in response["Vary"].split(",")}
        assert "private" in response["Cache-Control"]
        assert "no-cache" in response["Cache-Control"]
        assert not response.cookies
        assert response.has_header("Content-Security-Policy")
    assert hit["X-Request-ID"] != miss["X-Request-ID"]
    assert int(hit["Age"]) >= 0
    assert hit["Content-Type"] == miss["Content-Type"]
    assert client.head("/")["X-Cache"] == "hit"


def test_a_hit_costs_no_query(client, challenge, django_assert_num_queries):
    get(client, "/")
    with django_assert_num_queries(0):
        assert get(client, "/")["X-Cache"] == "hit"


def test_a_page_that_used_a_csrf_token_is_never_kept():
    request = RequestFactory().get("/")
    response = HttpResponse("<p>page</p>")
    assert pagecache.storable(request, response)
    get_token(request)
    assert not pagecache.storable(request, response)


def test_page_cache_seconds_0_turns_it_off(client, challenge, settings):
    settings.PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        assert not get(client, "/").has_header("X-Cache")


def test_saving_a_draft_keeps_the_pages_and_sending_it_drops_them(client, django_capture_on_commit_callbacks):
    """A call's last minute is thousands of draft saves; no public page shows a draft, a sent application counts."""
    from startups import services as startup_services
    from tests.startups.test_application_queries import form_of

    application = form_of(questions=2, files=1, old=False).application
    answers = dict(application.answers.values_list("question_id", "value"))
    get(client, "/challenges/")
    version = pagecache.content_version()

    def sent(service) -> None:
        application.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            service(
                startup=application.startup,
                challenge=application.challenge,
                actor=application.last_saved_by,
                data={"answers": answers},
                revision=application.revision,
            )

    sent(startup_services.application_save)
    assert AuditEntry.objects.filter(action="application.draft_saved").exists()
    assert pagecache.content_version() == version
    assert get(client, "/challenges/")["X-Cache"] == "hit"

    sent(startup_services.application_submit)
    assert AuditEntry.objects.filter(action="application.submitted").exists()
    assert pagecache.content_version() > version
    assert get(client, "/challenges/")["X-Cache"] == "miss"
