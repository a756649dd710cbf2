"""A person's notification centre (their notices, newest first) and their notification preferences."""

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from datacity.core.access import visible_or_404

from . import kinds, services
from .forms import PreferencesForm
from .kinds import Kind
from .models import Notification

logger = logging.getLogger(__name__)

PAGE_SIZE = 25


@dataclass(frozen=True)
class Notice:
    """One row of the centre: the notice and its title in the page's language."""

    notification: Notification
    title: str

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def notice_title(notification: Notification, language: str) -> str:
    """The subject of the notice's mail, in `language`, without the "[DataCity]" that marks mails in an inbox."""
    try:
        title = services.render_subject(notification, language=language)
    except TemplateDoesNotExist:
        # A kind declared without its subject template: the centre still lists the notice, by its kind's name.
        logger.exception("Notification %s: the subject template of %r is missing", notification.pk, notification.kind)
        title = str(kinds.get(notification.kind).label)
    return title.removeprefix(f"[{settings.SITE_NAME}]").strip()


def destination(url: str) -> str:
    """Where opening a notice leads: its link if it is a path on this site, else nowhere.

    The link was written in the language of whoever caused the notice (a French path, or /ar/...): it is followed in
    the language of the page the person opens it from.
    """
    if not url.startswith("/") or not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return ""
    return services.in_language(url, translation.get_language())


def load_targets(notifications: list[Notification]) -> None:
    """The notices' objects, one query per model, with what their kinds' subject templates read of them."""
    related: dict[int, set[str]] = defaultdict(set)
    for notification in notifications:
        if notification.content_type_id is not None:
            related[notification.content_type_id].update(kinds.get(notification.kind).related)
    querysets = []
    for content_type_id, lookups in related.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is not None and lookups:
            querysets.append(model._base_manager.select_related(*sorted(lookups)))
    prefetch_related_objects(notifications, GenericPrefetch("target", querysets))


def mandatory_kinds() -> list[Kind]:
    """The kinds nobody can turn off or delay, for the preferences page (the digest itself is no notice)."""
    return sorted(
        (kind for kind in kinds.KINDS.values() if not kind.optional and kind != kinds.DIGEST),
        key=lambda kind: kind.name,
    )


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.for_centre(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    notifications = list(page.object_list)
    load_targets(notifications)
    language = translation.get_language()
    notices = [Notice(notification, notice_title(notification, language)) for notification in notifications]
    return render(request, "notifications/centre.html", {"page_obj": page, "notices": notices})


@login_required
def open_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notice read and follow its link. Someone else's notice is not found (and the attempt audited)."""
    notification = visible_or_404(Notification.objects.for_centre(request.user), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.mark_read(user=request.user, notifications=Notification.objects.filter(pk=notification.pk))
    return redirect(destination(notification.url) or "notifications:centre")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_read(user=request.user)
    messages.success(request, _("All your notifications are marked as read."))
    return redirect("notifications:centre")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None, deliveries=services.delivery_for(user), language=getattr(user, "language", "")
    )
    if request.method == "POST" and form.is_valid():
        services.set_preferences(user=user, choices=form.choices(), language=form.cleaned_data["language"])
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notifications:preferences")
    context = {"form": form, "mandatory_kinds": mandatory_kinds()}
    return render(request, "notifications/preferences.html", context, status=400 if form.errors else 200)
