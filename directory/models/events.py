"""The change stream: one event per write of a record, and the public feed derived from it.

Every write service (directory.services) records one :class:`ChangeEvent` for the record it
wrote — drafts included — naming who, why and through which action. The public changes feed
(``/api/v1/changes/``, ``/feeds/changes.atom``) is a different, derived stream of
:class:`FeedEntry` rows: what the *public* saw change. A record enters it as ``created`` when
it becomes visible to anonymous users, ``updated`` when what they see of it changes, and
``deleted`` when it stops being visible (deleted or unpublished); a draft never appears.
Each entry carries the record's public fields as they were at that moment, so replaying the
feed from the beginning rebuilds the public directory exactly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChangeEvent(models.Model):
    """One write of one record by a service: who, when, what, why."""

    class Action(models.TextChoices):
        CREATED = "created", pgettext_lazy("change event action", "created")
        UPDATED = "updated", pgettext_lazy("change event action", "updated")
        PUBLISHED = "published", pgettext_lazy("change event action", "published")
        UNPUBLISHED = "unpublished", pgettext_lazy("change event action", "unpublished")
        DELETED = "deleted", pgettext_lazy("change event action", "deleted")
        RESTORED = "restored", pgettext_lazy("change event action", "restored")
        REVERTED = "reverted", pgettext_lazy("change event action", "reverted")

    at = models.DateTimeField(_("at"), db_index=True)
    model = models.CharField(
        _("model"), max_length=60, help_text=_('The record\'s model, e.g. "directory.facility".')
    )
    record_id = models.BigIntegerField(_("record id"))
    slug = models.CharField(_("slug"), max_length=100)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    history_id = models.BigIntegerField(
        _("history entry"), null=True, blank=True, help_text=_("The record's history row it wrote.")
    )
    context = models.JSONField(
        _("context"),
        default=dict,
        blank=True,
        help_text=_(
            "What a later restore needs: for a deletion, the records that linked to this one "
            "and the records deleted with it."
        ),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        indexes = [
            models.Index(fields=["model", "record_id", "id"], name="changeevent_record"),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.slug} {self.action} at {self.at:%Y-%m-%d %H:%M:%S}"


class FeedEntry(models.Model):
    """One change of the public directory, with the record's public fields after it."""

    class Action(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        DELETED = "deleted", "deleted"

    at = models.DateTimeField(_("at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=20, help_text=_('e.g. "facility", "call".'))
    record_id = models.BigIntegerField(_("record id"))
    slug = models.CharField(_("slug"), max_length=100)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    data = models.JSONField(
        _("public fields"),
        null=True,
        blank=True,
        help_text=_("The record as the public sees it after this change (none for a deletion)."),
    )
    event = models.ForeignKey(
        ChangeEvent,
        verbose_name=_("caused by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feed_entries",
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("feed entry")
        verbose_name_plural = _("feed entries")
        indexes = [
            # The last public state of a record: the newest entry of (kind, record).
            models.Index(fields=["kind", "record_id", "id"], name="feedentry_record"),
            # The changes of some kinds only, in feed order (/api/v1/changes/?kind=).
            models.Index(fields=["kind", "id"], name="feedentry_kind_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action="deleted", data__isnull=True)
                | (~models.Q(action="deleted") & models.Q(data__isnull=False)),
                name="%(app_label)s_%(class)s_data_unless_deleted",
                violation_error_message=_("A feed entry carries the record's data unless deleted."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.slug} {self.action}"
