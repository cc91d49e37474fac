"""Abstract layers shared by every record: provenance, naming and the search key."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directory import identifiers
from directory.search import build_search_key
from directory.validators import nul_character_error, validate_aliases, validate_sources
from directory.write_clock import WriteTimeField
from directory.writes import check_write


def _mark_changed(using: str) -> None:
    from directory.models.state import DirectoryState

    DirectoryState.bump(using=using)


class GuardedQuerySet(models.QuerySet):
    """Bulk writes of directory records happen only inside a write service."""

    def bulk_create(self, objs, *args, **kwargs):
        check_write(self.model, "bulk_create")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        check_write(self.model, "bulk_update")
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        check_write(self.model, "update")
        return super().update(**kwargs)

    update.alters_data = True

    def delete(self):
        check_write(self.model, "delete")
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


class SearchKeyQuerySet(GuardedQuerySet):
    """Keeps the search key and the change marker current through bulk operations.

    ``bulk_create``, ``bulk_update`` and ``update`` bypass ``save()`` and its signals.
    """

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        self.model.refresh_search_keys(objs)
        created = super().bulk_create(objs, *args, **kwargs)
        _mark_changed(self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        fields = list(fields)
        if set(fields) & set(self.model.key_fields()):
            self.model.refresh_search_keys(objs)
            fields += [name for name in ("search_key", "place_key") if name not in fields]
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        _mark_changed(self.db)
        return updated

    def update(self, **kwargs):
        check_write(self.model, "update")
        # Route as a write before reading self.db, as Django's own update() does: with read
        # replicas self.db would otherwise name a replica, and the bump would go there.
        self._for_write = True
        _mark_changed(self.db)
        if not set(kwargs) & set(self.model.key_fields()):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            rows = models.QuerySet(self.model, using=self.db).filter(pk__in=pks)
            changed = list(rows.only("pk", *self.model.key_fields()))
            self.model.refresh_search_keys(changed)
            # A plain queryset: this class's bulk_update (and the update() it runs) would
            # mark the change a second time; the write was checked above.
            models.QuerySet(self.model, using=self.db).bulk_update(
                changed, ["search_key", "place_key"]
            )
            return count

    def rebuild_search_keys(self) -> int:
        """Recompute these records' stored keys after a record they read changed (an
        institution's parent renamed or (un)published): only the key columns of the rows
        whose keys differ are written, in one UPDATE, with no save(): derived data, so no
        history entry, no change event and no new ``updated_at``. Returns how many changed."""
        records = list(self)
        before = {record.pk: (record.search_key, record.place_key) for record in records}
        self.model.refresh_search_keys(records)
        changed = [
            record
            for record in records
            if (record.search_key, record.place_key) != before[record.pk]
        ]
        if changed:
            self.bulk_update(changed, ["search_key", "place_key"])
        return len(changed)

    rebuild_search_keys.alters_data = True


class SlugManager(models.Manager.from_queryset(SearchKeyQuerySet)):
    """Looks records up by slug, their natural key (fixtures load twice without duplicates)."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


def publish_permission(model_name: str) -> list[tuple[str, str]]:
    """The permission to publish and unpublish records of one model (editors have it)."""
    return [(f"publish_{model_name}", f"Can publish or unpublish {model_name} records")]


class GuardedWrites(models.Model):
    """Saved and deleted only inside a write service (see directory.writes)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        check_write(self, "save")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        check_write(self, "delete")
        return super().delete(*args, **kwargs)


def _nul_errors(record) -> dict[str, list[str]]:
    """Fields whose text (or any text inside a JSON value) holds a NUL character.

    PostgreSQL cannot store one in text or jsonb, so it must be refused as a validation error
    on the field, never met as a database error.
    """
    errors = {}
    for field in record._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField | models.JSONField):
            message = nul_character_error(getattr(record, field.attname))
            if message:
                errors[field.name] = [message]
    return errors


class ProvenanceFields(GuardedWrites):
    """Where a record's facts come from, who checked them and whether the public sees it."""

    sources = models.JSONField(
        _("sources"),
        default=list,
        blank=True,
        validators=[validate_sources],
        help_text=_(
            "Citations, each naming a source record by slug, where in it, and the passage: "
            '[{"source": "jst-qst-koyasu-interview-2023", "locator": "line 43", "passage": "…"}]'
        ),
    )
    last_verified_on = models.DateField(
        _("last verified on"),
        null=True,
        blank=True,
        help_text=_("When a curator last checked every fact of this record against its sources."),
    )
    needs_review = models.BooleanField(
        _("needs review"),
        default=False,
        help_text=_("A fact here is doubtful or not yet sourced from a primary document."),
    )
    review_note = models.TextField(
        _("review note"),
        blank=True,
        help_text=_("Which fact a curator must check, and why."),
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Visible to anonymous users of the API.")
    )
    is_synthetic = models.BooleanField(
        _("synthetic"),
        default=False,
        editable=False,
        help_text=_("Generated for scale tests (seed_synthetic); never real data."),
    )
    #: both stamped from the database's clock within a write batch (directory.write_clock):
    #: updated_at orders the lists' sync pages; one clock keeps a creation's two equal
    created_at = WriteTimeField(_("created at"), auto_now_add=True)
    updated_at = WriteTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        unknown = unknown_cited_sources(self.sources)
        if unknown:
            raise ValidationError({"sources": unknown})


def unknown_cited_sources(citations) -> list[str]:
    """Messages naming each citation whose source slug is not a source record (one query).

    The shape of the citations is validate_sources's; this needs the database, so it runs in
    the model's clean(), which every write service calls (full_clean).
    """
    from django.apps import apps

    try:
        validate_sources(citations)
    except ValidationError:
        return []  # the field's own error says what is wrong with its shape
    wanted = {
        position: citation["source"]
        for position, citation in enumerate(citations, start=1)
        if isinstance(citation, dict) and isinstance(citation.get("source"), str)
    }
    if not wanted:
        return []
    source_model = apps.get_model("directory", "Source")
    known = set(
        source_model._base_manager.filter(slug__in=set(wanted.values())).values_list(
            "slug", flat=True
        )
    )
    return [
        gettext("Source %(n)s cites %(slug)s, which is not a source record.")
        % {"n": position, "slug": slug}
        for position, slug in wanted.items()
        if slug not in known
    ]


class NamedRecord(ProvenanceFields):
    """A bilingual, sourced record with a slug and the names it is searched by."""

    #: Fields whose values make up the search key (see directory.search).
    SEARCH_TERM_FIELDS = ("name", "name_ja", "acronym", "aliases")
    #: Fields whose values make up the place key (city, site, country), searched after names.
    PLACE_TERM_FIELDS: tuple[str, ...] = ()
    #: Foreign keys whose record's names (its search_terms()) the place key holds too, when
    #: that record is public: an institution is found by its parent's names, ranked as its
    #: place is, after every record whose own names match. A draft's names never go in (the
    #: key would tell the public that the draft exists); the write services rebuild the keys
    #: of the records pointing at one whose names or publication change.
    KEY_RELATIONS: tuple[str, ...] = ()
    #: The record's collection in the public API ("" when it has no endpoint of its own).
    API_RESOURCE = ""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name (English)"), max_length=255)
    name_ja = models.CharField(_("name (Japanese)"), max_length=255, blank=True)
    acronym = models.CharField(_("acronym"), max_length=50, blank=True)
    aliases = models.JSONField(
        _("aliases"),
        default=list,
        blank=True,
        validators=[validate_aliases],
        help_text=_('Other spellings and names, e.g. ["SPring–8", "Spring8", "スプリングエイト"].'),
    )
    description = models.TextField(_("description (English)"), blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    search_key = models.TextField(
        _("search key"),
        blank=True,
        editable=False,
        help_text=_("Normalised names, acronyms and aliases; rebuilt on every save."),
    )
    place_key = models.TextField(
        _("place key"),
        blank=True,
        editable=False,
        help_text=_(
            "Normalised city, site and country names (English and Japanese) and the names of "
            "a published parent institution; rebuilt on every save."
        ),
    )
    version = models.PositiveBigIntegerField(
        _("representation version"),
        default=1,
        editable=False,
        help_text=_(
            "Grows with every write of the record and of what its representation shows of "
            "other records (a technique's new name); cached representations are keyed by it."
        ),
    )

    objects = SlugManager()

    class Meta:
        abstract = True
        ordering = ["name"]
        # Django's internal lookups use the base manager too: guarded like the default one,
        # so that no bulk write escapes the write services through it.
        base_manager_name = "objects"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The pre_save signal (directory.signals) derives the key; make sure it is written.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.key_fields()):
            kwargs["update_fields"] = {*update_fields, "search_key", "place_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The record in the public API (the admin's "view on site")."""
        return f"/api/v1/{self.API_RESOURCE}/{self.slug}/"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean_fields(self, exclude=None):
        # Identifiers in their stored form before any check: the pasted URL or spaced form
        # normalised, an empty one NULL (Django skips blank values, and the unique check
        # would then compare "").
        self.normalise_identifiers()
        nul = _nul_errors(self)
        exclude = set(exclude or ()) | set(nul)
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            raise ValidationError({**nul, **error.message_dict}) from None
        if nul:
            raise ValidationError(nul)

    @classmethod
    def key_fields(cls) -> tuple[str, ...]:
        """The fields the search and place keys are derived from."""
        return (*cls.SEARCH_TERM_FIELDS, *cls.PLACE_TERM_FIELDS, *cls.KEY_RELATIONS)

    @classmethod
    def refresh_search_keys(cls, records) -> None:
        """refresh_search_key() on many records, the records their keys read (KEY_RELATIONS)
        loaded in one query per relation, not one per record."""
        records = list(records)
        if cls.KEY_RELATIONS:
            prefetch_related_objects(records, *cls.KEY_RELATIONS)
        for record in records:
            record.refresh_search_key()

    def search_terms(self) -> list[str]:
        """Every spelling this record should be found by."""
        return [self.name, self.name_ja, self.acronym, *(self.aliases or [])]

    def place_terms(self) -> list[str]:
        """Every place this record should be found by: its PLACE_TERM_FIELDS, a country by
        its English and Japanese names; then the names of the public records of its
        KEY_RELATIONS (an institution's parent)."""
        from directory.countries import countries_by_code

        terms = []
        for name in self.PLACE_TERM_FIELDS:
            if name == "country":
                country = countries_by_code().get(self.country_id)
                terms += [country.name, country.name_ja] if country else []
            else:
                terms.append(getattr(self, name))
        for related in self.key_related_records():
            terms += related.search_terms()
        return terms

    def key_related_records(self) -> list[NamedRecord]:
        """The records of KEY_RELATIONS whose names this record's place key holds: the public
        ones (selectors.is_public, the one publication rule)."""
        from directory.selectors import is_public

        found = []
        for name in self.KEY_RELATIONS:
            if getattr(self, self._meta.get_field(name).attname) is None:
                continue
            try:
                related = getattr(self, name)
            except ObjectDoesNotExist:
                # A raw save (loaddata) of a record whose parent the file loads after it,
                # by primary key (constraints are checked at the end): no names to hold yet.
                # Natural keys load it without the parent first, then save it again with it.
                continue
            if is_public(related):
                found.append(related)
        return found

    def refresh_search_key(self) -> None:
        """Recompute the search and place keys from the current values (no database write)."""
        self.search_key = build_search_key(self.search_terms())
        self.place_key = build_search_key(self.place_terms())

    def prepare_for_save(self) -> None:
        """Derive stored values from the record's own fields, on every save, raw or not.

        Called from the pre_save signal, so fixture loads (raw saves) get it too.
        """
        self.refresh_search_key()
        self.normalise_identifiers()

    def normalise_identifiers(self) -> None:
        for scheme in identifiers.schemes_of(type(self)):
            value = getattr(self, scheme.column)
            setattr(self, scheme.column, scheme.normalise(str(value)) if value else None)

    @property
    def identifiers(self) -> dict[str, str | None]:
        """The record's persistent identifiers by scheme (see directory.identifiers)."""
        return identifiers.identifiers_of(self)
