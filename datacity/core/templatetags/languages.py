"""The page a visitor is on, in each of the platform's languages: the header's language links and the head's
hreflang alternates."""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse, translate_url
from django.utils.translation import get_language, get_language_info, override

register = template.Library()


@dataclass(frozen=True)
class LanguageVersion:
    """One language's version of the current page: where it is, and how to name it in its own language."""

    code: str
    name_local: str
    bidi: bool
    url: str  # a path with the query string, for links
    current: bool

    @property
    def absolute_url(self) -> str:
        """For hreflang alternates, which must be absolute."""
        return f"{settings.SITE_URL}{self.url}"


@dataclass(frozen=True)
class LanguageVersions:
    versions: list[LanguageVersion]
    # Whether the versions are this page's own: not for a URL that resolves to no view (a 404 from the resolver),
    # whose links lead to each language's home page instead and which has no alternates to announce.
    translated: bool

    def __iter__(self):
        return iter(self.versions)

    @property
    def default(self) -> LanguageVersion:
        """The x-default alternate: the French page, the default language, without a prefix."""
        return next(version for version in self.versions if version.code == settings.LANGUAGE_CODE)


@register.simple_tag(takes_context=True)
def language_versions(context: template.Context) -> LanguageVersions:
    """The current page in every language, through django.urls.translate_url (same view, same arguments, the
    query string kept). Pages outside the language prefix (the admin, /api/, /health/) get their own path back
    for every language, which is what translate_url answers there."""
    request: HttpRequest | None = context.get("request")
    current = get_language()
    path = request.get_full_path() if request is not None and request.resolver_match is not None else None
    versions = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        if path is not None:
            url = translate_url(path, code)
        else:
            with override(code):
                url = reverse("home")
        versions.append(
            LanguageVersion(
                code=code, name_local=info["name_local"], bidi=info["bidi"], url=url, current=code == current
            )
        )
    return LanguageVersions(versions=versions, translated=path is not None)
