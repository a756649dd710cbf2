"""Staff see what the platform told whom and whether each mail left; they can send failed mails again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import MailState, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "email", "mail_state", "attempts", "sent_at", "read_at"]
    list_filter = ["mail_state", "kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    ordering = ["-created_at", "-pk"]
    actions = ["send_again"]
    # The stored text of a mail may hold a one-time link until it has left: never shown.
    exclude = ["body_text", "body_html", "claim", "context"]
    readonly_fields = [
        "recipient",
        "email",
        "kind",
        "content_type",
        "object_id",
        "key",
        "language",
        "url",
        "subject",
        "created_at",
        "read_at",
        "mail_state",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_error",
        "sent_at",
        "digest",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Send the selected failed mails again"), permissions=["view"])
    def send_again(self, request, queryset) -> None:
        count = services.send_again(notifications=queryset.filter(mail_state=MailState.FAILED), actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d mail will be sent again.", "%(count)d mails will be sent again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
