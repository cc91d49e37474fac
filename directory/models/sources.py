"""Sources: the documents that records cite, and the index of who cites each one.

A record's ``sources`` field is a JSON list of citations, each naming a :class:`Source` by slug
with a locator (``"line 43"``, ``"lines 49–53"``, ``"p. 12"``) and the passage quoted
(directory.validators.validate_sources). The list stays on the record, so history, diffs,
revert and import/export keep treating it as one of the record's values; :class:`Citation`
rows, rewritten by the write services on every save (directory.services.citations), say which
records cite each source — in their own citations or in those of a succession they are either
end of —, so a source's detail lists them in one query.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.choices import DatePrecision
from directory.constraints import FieldCheckConstraint
from directory.models.base import GuardedQuerySet, GuardedWrites, NamedRecord, publish_permission
from directory.models.programmes import _round_date


class Source(NamedRecord):
    """A document facts are taken from: a report, an interview, a slide deck, a web page.

    ``name`` is its title in English (a translation when the document is in Japanese) and
    ``name_ja`` its Japanese title as printed. ``url`` is where a reader can open it, and only
    where the document itself or the fact sheet gives one: never guessed.
    """

    API_RESOURCE = "sources"
    #: A source is found by its publisher too ("MEXT", "JST"), in the cross-kind search and
    #: the sources list alike.
    SEARCH_TERM_FIELDS = (*NamedRecord.SEARCH_TERM_FIELDS, "publisher", "publisher_ja")
    #: What other records show of a source inside their citations (services.versions): a
    #: change to any of these changes their representations.
    SUMMARY_FIELDS = (
        "slug",
        "name",
        "name_ja",
        "is_published",
        "publisher",
        "publisher_ja",
        "url",
        "published_on",
        "published_on_precision",
    )

    author = models.CharField(_("author (English)"), max_length=255, blank=True)
    author_ja = models.CharField(_("author (Japanese)"), max_length=255, blank=True)
    publisher = models.CharField(
        _("publisher (English)"),
        max_length=255,
        blank=True,
        help_text=_("Who issued the document; blank when the document does not say."),
    )
    publisher_ja = models.CharField(_("publisher (Japanese)"), max_length=255, blank=True)
    published_on = models.DateField(
        _("published on"),
        null=True,
        blank=True,
        help_text=_("Blank when the document is undated."),
    )
    published_on_precision = models.CharField(
        _("publication date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("A document dated “March 2023” is month-precise: stored as 1 March 2023."),
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        blank=True,
        help_text=_("ISO 639-1 code of the document's language, e.g. ja or en."),
    )
    url = models.URLField(
        _("public URL"),
        max_length=500,
        blank=True,
        help_text=_(
            "Where a reader can open the document, only when the document or a source about "
            "it gives the address; never guessed."
        ),
    )
    reliability_note = models.TextField(
        _("reliability note (English)"),
        blank=True,
        help_text=_("How far its statements can be trusted, and why."),
    )
    reliability_note_ja = models.TextField(_("reliability note (Japanese)"), blank=True)

    history = HistoricalRecords()

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("source")
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            FieldCheckConstraint(
                field="language",
                condition=Q(language="") | Q(language__regex=r"^[a-z]{2}$"),
                name="%(app_label)s_%(class)s_language_iso639_1",
                violation_error_message=_(
                    "A language is an ISO 639-1 code: two lower-case letters, e.g. ja or en."
                ),
            ),
        ]

    def search_terms(self) -> list[str]:
        return [*super().search_terms(), self.publisher, self.publisher_ja]

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude=exclude)
        self.published_on = _round_date(self.published_on, self.published_on_precision, end=False)

    def prepare_for_save(self) -> None:
        super().prepare_for_save()
        self.published_on = _round_date(self.published_on, self.published_on_precision, end=False)


#: The records that can cite sources, by the name of their column in :class:`Citation` (each
#: model's ``model_name``; a research field's is ``researchfield``).
CITING_MODELS = (
    "facility",
    "instrument",
    "programme",
    "call",
    "institution",
    "agreement",
    "technique",
    "researchfield",
    "accessmode",
)


def _citing_column(name: str) -> models.ForeignKey:
    return models.ForeignKey(
        f"directory.{name}",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="citation_index",
        db_index=True,
    )


class Citation(GuardedWrites):
    """One record cites one source (derived from the record's ``sources`` and its
    successions'; never edited).

    One nullable column per kind of citing record, exactly one of them set, so that the
    briefs query (directory.selectors.attach_briefs) and the representation versions
    (directory.services.versions) reach each kind through a plain foreign key. A source
    cannot be deleted while a record cites it (PROTECT): the write service names the records.
    """

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="citations"
    )
    facility = _citing_column("facility")
    instrument = _citing_column("instrument")
    programme = _citing_column("programme")
    call = _citing_column("call")
    institution = _citing_column("institution")
    agreement = _citing_column("agreement")
    technique = _citing_column("technique")
    researchfield = _citing_column("researchfield")
    accessmode = _citing_column("accessmode")

    # Written by the write services only, like the records it indexes (directory.writes).
    objects = models.Manager.from_queryset(GuardedQuerySet)()

    class Meta:
        base_manager_name = "objects"
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    *[
                        Q(**{f"{name}__isnull": False})
                        & Q(
                            **{f"{other}__isnull": True for other in CITING_MODELS if other != name}
                        )
                        for name in CITING_MODELS
                    ],
                    _connector=Q.OR,
                ),
                name="%(app_label)s_%(class)s_one_citing_record",
                violation_error_message=_("A citation belongs to exactly one record."),
            ),
            *[
                models.UniqueConstraint(
                    fields=["source", name], name=f"%(app_label)s_%(class)s_unique_{name}"
                )
                for name in CITING_MODELS
            ],
        ]

    def __str__(self) -> str:
        for name in CITING_MODELS:
            record = getattr(self, name)
            if record is not None:
                return f"{record._meta.verbose_name} {record.slug} cites {self.source.slug}"
        return f"citation of {self.source_id}"
