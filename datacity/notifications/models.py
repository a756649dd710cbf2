"""The notification outbox: one row per (recipient, kind, object), written in the transaction of the event.

A row is at once the notice in the person's notification centre and the mail to send. The dispatcher claims pending
rows (SELECT ... FOR UPDATE SKIP LOCKED, then a short lease), sends them and marks each one sent as soon as it has
left, so a worker that dies in the middle of a batch leaves the rest pending for the next dispatcher.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .kinds import KINDS, Delivery


class MailState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DIGEST = "digest", _("Waiting for the daily digest")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NONE = "none", _("No mail")


class NotificationQuerySet(models.QuerySet):
    def for_centre(self, user) -> "NotificationQuerySet":
        """A person's notification centre: the kinds shown in-app, newest first."""
        shown = [name for name, kind in KINDS.items() if kind.in_app]
        return self.filter(recipient=user, kind__in=shown).order_by("-created_at", "-pk")

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def due(self, now) -> "NotificationQuerySet":
        """Mails to send now: pending, their retry time come, and not held by a live dispatcher's lease."""
        return self.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
            mail_state=MailState.PENDING,
            next_attempt_at__lte=now,
        )


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,  # the (recipient, created_at) index below serves the foreign key too
        help_text=_("Empty for a mail to an address without an account (an invitation)."),
    )
    email = models.EmailField(_("email address"), max_length=254, blank=True)
    kind = models.CharField(_("kind"), max_length=64)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, db_index=False)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    # Tells apart several notices of one kind about one object: a reminder's offset, the dates of a rescheduling.
    key = models.CharField(_("key"), max_length=128, blank=True, default="")
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    # What the templates need beyond the object (JSON values only), and the page the notice links to.
    context = models.JSONField(default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # A mail written when the event happened (allauth's, invitations) rather than from the kind's templates.
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    mail_state = models.CharField(_("mail"), max_length=16, choices=MailState, default=MailState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    digest = models.ForeignKey(
        "Digest", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications", db_index=False
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One notice per (recipient, kind, object, key): the event that causes it can run twice, not the mail.
            models.UniqueConstraint(
                fields=["recipient", "kind", "content_type", "object_id", "key"],
                condition=Q(recipient__isnull=False),
                nulls_distinct=False,
                name="notifications_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["email", "kind", "content_type", "object_id", "key"],
                condition=Q(recipient__isnull=True),
                nulls_distinct=False,
                name="notifications_once_per_address",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(email=""), name="notifications_has_recipient"
            ),
        ]
        # Few indexes: a call's close writes tens of thousands of rows at once, and each index costs every row.
        indexes = [
            # In the claim's order, so that taking 50 of 20,000 pending rows reads 50 index entries, not a sort.
            models.Index(
                fields=["next_attempt_at", "id"], condition=Q(mail_state="pending"), name="notifications_pending"
            ),
            # A person's centre, newest first, and their unread count.
            models.Index(fields=["recipient", "-created_at"], name="notifications_centre"),
            # Who was told about an object (a phase's new dates go to them).
            models.Index(fields=["content_type", "object_id"], name="notifications_about"),
            models.Index(fields=["recipient"], condition=Q(mail_state="digest"), name="notifications_digest_wait"),
            models.Index(fields=["digest"], condition=Q(digest__isnull=False), name="notifications_in_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.email or self.recipient_id}"


class Preference(models.Model):
    """How a person receives one optional kind by mail; without a row, the kind's default applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=64)
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notifications_preference_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.delivery}"


class Digest(models.Model):
    """One daily digest of one person: the notices it gathers point to it; its mail is a notification itself."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="notifications_digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.day}"


# The heartbeat the program clock (the minute phase tick) writes, and /health/ reads.
CLOCK_HEARTBEAT = "phase-tick"


class Heartbeat(models.Model):
    """When a periodic job last ran to its end (the phase tick): what /health/ reads."""

    name = models.CharField(max_length=64, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.last_run_at:%Y-%m-%d %H:%M:%S}"
