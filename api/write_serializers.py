"""Input serializers of the write API: related records by slug, relations by their API names.

They only read the request: the write services (directory.services) validate and save, so
the API refuses exactly what the admin and the importers refuse, with the same messages,
per field (under the API's names: ``research_fields``, not the model's ``fields``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from directory.choices import (
    DatePrecision,
    FacilityRoleKind,
    InstitutionSuccessionType,
    ProgrammeRoleKind,
    SuccessionType,
)
from directory.models import (
    AccessMode,
    Agreement,
    Call,
    Country,
    Facility,
    Institution,
    Programme,
    ResearchField,
    Source,
    Technique,
)
from directory.services import RoleLink, SuccessionLink
from directory.validators import normalise_ror_id

COMMON_FIELDS = (
    "slug",
    "name",
    "name_ja",
    "acronym",
    "aliases",
    "description",
    "description_ja",
    "website",
    "sources",
    "last_verified_on",
    "needs_review",
    "review_note",
    "is_published",
)


def slugs(model, source=None, field="slug", **kwargs):
    """A list of related records written by slug (or code)."""
    return serializers.SlugRelatedField(
        slug_field=field,
        queryset=model.objects.all(),
        many=True,
        required=False,
        source=source,
        **kwargs,
    )


def role_link_serializer(role_choices):
    class RoleLinkSerializer(serializers.Serializer):
        institution = serializers.SlugRelatedField(
            slug_field="slug", queryset=Institution.objects.all()
        )
        role = serializers.ChoiceField(choices=role_choices.choices)
        note = serializers.CharField(required=False, allow_blank=True, max_length=255)
        needs_review = serializers.BooleanField(required=False, default=False)

    RoleLinkSerializer.__name__ = f"{role_choices.__name__}LinkSerializer"
    return RoleLinkSerializer


FacilityRoleLink = role_link_serializer(FacilityRoleKind)
ProgrammeRoleLink = role_link_serializer(ProgrammeRoleKind)


def succession_serializer(model, type_choices):
    """One successor of the record written: by slug, with its type, date, note, citations."""

    class SuccessionSerializer(serializers.Serializer):
        successor = serializers.SlugRelatedField(slug_field="slug", queryset=model.objects.all())
        type = serializers.ChoiceField(choices=type_choices.choices)
        date = serializers.DateField(required=False, allow_null=True)
        date_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
        note = serializers.CharField(required=False, allow_blank=True, max_length=255)
        note_ja = serializers.CharField(required=False, allow_blank=True, max_length=255)
        sources = serializers.ListField(child=serializers.DictField(), required=False)

    SuccessionSerializer.__name__ = f"{model.__name__}SuccessionSerializer"
    return SuccessionSerializer


SUCCESSORS_HELP = (
    "What followed this record: replaces all its successions. Predecessors are written on "
    "the predecessor (each record lists both)."
)


class LocalDeadlineField(serializers.DateTimeField):
    """A deadline: with an offset, that instant; without one, the funder's local time.

    A naive value is kept naive here; the write service reads it in the call's deadline
    time zone (directory.deadlines), the same rule as the admin form and the importers.
    """

    def enforce_timezone(self, value):
        if value.tzinfo is None:
            return value
        return super().enforce_timezone(value)


def identifier_input(help_text: str, source: str | None = None) -> serializers.CharField:
    """One identifier as written: any accepted form (the write service normalises and
    validates it, so the admin and the API refuse the same values); null or "" clears it."""
    return serializers.CharField(
        **({"source": source} if source else {}),
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=200,
        help_text=help_text,
    )


class InstitutionIdentifiersInput(serializers.Serializer):
    """The identifiers to set; a key left out keeps its value."""

    ror = identifier_input("ROR id: 0xxxxxxNN or https://ror.org/0xxxxxxNN.", "ror_id")
    wikidata = identifier_input("Wikidata item: Q and digits, or its URL.", "wikidata_id")
    isni = identifier_input("ISNI: 16 characters, spaces allowed.")
    crossref_funder_id = identifier_input(
        "Crossref Funder ID: 10.13039/<digits> or the digits alone."
    )


class FacilityIdentifiersInput(serializers.Serializer):
    """The identifiers to set; a key left out keeps its value."""

    wikidata = identifier_input("Wikidata item: Q and digits, or its URL.", "wikidata_id")


class RecordWriteSerializer(serializers.ModelSerializer):
    """Reads a write's JSON into the values and relations a write service takes.

    The serializer checks shapes and resolves slugs; the rules of the record (constraints,
    ``clean()``, the relations' rules, publishing) are the service's, which reports errors
    by model field: :meth:`api_errors` gives them back under this API's names.
    """

    #: The payload field of the record's role links (``institutions``), if it has any.
    ROLE_LINKS: str | None = None
    #: The payload field of the record's successions, if it has any.
    SUCCESSIONS: str | None = None

    aliases = serializers.ListField(child=serializers.CharField(), required=False)
    sources = serializers.ListField(child=serializers.DictField(), required=False)

    def to_domain(self) -> tuple[dict, dict]:
        """(fields, relations) of ``validated_data``, keyed by the model's names."""
        fields, relations = {}, {}
        # validated_data is keyed by each field's source (the model's name); the nested
        # identifiers (source "*") add their own model names.
        by_source = {field.source: (name, field) for name, field in self.fields.items()}
        for source, value in self.validated_data.items():
            name, field = by_source.get(source, (source, None))
            if field is None:
                fields[source] = value
            elif name == self.ROLE_LINKS:
                relations[field.source] = [
                    RoleLink(
                        link["institution"],
                        link["role"],
                        link.get("note", ""),
                        link.get("needs_review", False),
                    )
                    for link in value
                ]
            elif name == self.SUCCESSIONS:
                relations[field.source] = [SuccessionLink(**link) for link in value]
            elif isinstance(field, serializers.ManyRelatedField):
                relations[field.source] = list(value)
            else:
                fields[field.source] = value
        return fields, relations

    def api_errors(self, error: DjangoValidationError) -> dict:
        """A service's validation error, keyed by this API's field names."""
        names = {field.source: name for name, field in self.fields.items()}
        nested = self._nested_names()
        if not hasattr(error, "error_dict"):
            return {"non_field_errors": error.messages}
        errors: dict = {}
        for key, messages in error.message_dict.items():
            if key in nested:
                outer, inner = nested[key]
                errors.setdefault(outer, {})[inner] = messages
            else:
                errors["non_field_errors" if key == "__all__" else names.get(key, key)] = messages
        return errors

    def _nested_names(self) -> dict[str, tuple[str, str]]:
        """Model fields written through a nested object (``identifiers``) that the request
        used: their errors are reported there, as {"identifiers": {"isni": [...]}}."""
        found = {}
        for name, field in self.fields.items():
            if not isinstance(field, serializers.Serializer) or field.source != "*":
                continue
            given = self.initial_data.get(name) if isinstance(self.initial_data, dict) else None
            for inner, child in field.fields.items():
                if isinstance(given, dict) and inner in given:
                    found[child.source] = (name, inner)
                elif child.source not in {f.source for f in self.fields.values()}:
                    found.setdefault(child.source, (name, inner))
        return found


class TechniqueWriteSerializer(RecordWriteSerializer):
    class Meta:
        model = Technique
        fields = (*COMMON_FIELDS, "probe")


class ResearchFieldWriteSerializer(RecordWriteSerializer):
    class Meta:
        model = ResearchField
        fields = COMMON_FIELDS


def _ror(value) -> str | None:
    # Fields passed their checks: a string or a number (DRF's CharField takes both), or null.
    return normalise_ror_id(str(value)) if value is not None else None


class InstitutionWriteSerializer(RecordWriteSerializer):
    SUCCESSIONS = "successors"

    country = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all())
    ror_id = identifier_input("ROR id (also settable as identifiers.ror).")
    identifiers = InstitutionIdentifiersInput(source="*", required=False)
    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=Institution.objects.all(), required=False, allow_null=True
    )
    successors = succession_serializer(Institution, InstitutionSuccessionType)(
        many=True, required=False, help_text=SUCCESSORS_HELP
    )

    class Meta:
        model = Institution
        fields = (
            *COMMON_FIELDS,
            "kind",
            "country",
            "city",
            "city_ja",
            "latitude",
            "longitude",
            "ror_id",
            "identifiers",
            "parent",
            "successors",
        )

    def validate(self, attrs):
        given = (
            self.initial_data.get("identifiers") if isinstance(self.initial_data, dict) else None
        )
        if (
            "ror_id" in self.initial_data
            and isinstance(given, dict)
            and "ror" in given
            and _ror(given["ror"]) != _ror(self.initial_data["ror_id"])
        ):
            raise serializers.ValidationError(
                {"identifiers": {"ror": [_("Differs from ror_id: give the ROR id once.")]}}
            )
        return super().validate(attrs)


class FacilityWriteSerializer(RecordWriteSerializer):
    ROLE_LINKS = "institutions"
    SUCCESSIONS = "successors"

    country = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all())
    techniques = slugs(Technique)
    access_modes = slugs(AccessMode)
    research_fields = slugs(ResearchField, source="fields")
    identifiers = FacilityIdentifiersInput(source="*", required=False)
    institutions = FacilityRoleLink(
        many=True, required=False, help_text="Operators and partners: replaces all role links."
    )
    successors = succession_serializer(Facility, SuccessionType)(
        many=True, required=False, help_text=SUCCESSORS_HELP
    )

    class Meta:
        model = Facility
        fields = (
            *COMMON_FIELDS,
            "kind",
            "status",
            "country",
            "city",
            "city_ja",
            "site",
            "latitude",
            "longitude",
            "energy_gev",
            "circumference_m",
            "beamline_count",
            "first_operation_year",
            "user_programme_year",
            "closed_on",
            "closed_on_precision",
            "construction_cost",
            "construction_cost_currency",
            "identifiers",
            "techniques",
            "access_modes",
            "research_fields",
            "institutions",
            "successors",
        )


class ProgrammeWriteSerializer(RecordWriteSerializer):
    ROLE_LINKS = "institutions"
    SUCCESSIONS = "successors"

    countries = slugs(Country, field="code")
    research_fields = slugs(ResearchField, source="fields")
    facilities = slugs(Facility)
    institutions = ProgrammeRoleLink(
        many=True, required=False, help_text="Funders and agencies: replaces all role links."
    )
    successors = succession_serializer(Programme, SuccessionType)(
        many=True, required=False, help_text=SUCCESSORS_HELP
    )

    class Meta:
        model = Programme
        fields = (
            *COMMON_FIELDS,
            "kind",
            "status",
            "starts_on",
            "starts_on_precision",
            "ends_on",
            "ends_on_precision",
            "total_budget",
            "total_budget_currency",
            "max_funding_per_project",
            "max_funding_currency",
            "typical_duration_months",
            "call_frequency",
            "countries",
            "research_fields",
            "facilities",
            "institutions",
            "successors",
        )


class CallWriteSerializer(RecordWriteSerializer):
    programme = serializers.SlugRelatedField(slug_field="slug", queryset=Programme.objects.all())
    closes_at = LocalDeadlineField(
        help_text=(
            "The deadline: an instant with its offset (2027-01-31T12:00:00+09:00), or the "
            "funder's local date and time without one, read in deadline_timezone."
        )
    )
    call_url = serializers.URLField(source="url", required=False, allow_blank=True)

    class Meta:
        model = Call
        fields = (
            *COMMON_FIELDS,
            "programme",
            "opens_on",
            "closes_at",
            "deadline_timezone",
            "call_url",
        )


class AgreementWriteSerializer(RecordWriteSerializer):
    institutions = slugs(Institution)
    facilities = slugs(Facility)

    class Meta:
        model = Agreement
        fields = (
            *COMMON_FIELDS,
            "kind",
            "signed_on",
            "renewed_on",
            "expires_on",
            "renewal_period_years",
            "institutions",
            "facilities",
        )


class SourceWriteSerializer(RecordWriteSerializer):
    sources = None  # a source cites no sources of its own
    source_url = serializers.URLField(
        source="url", required=False, allow_blank=True, max_length=500
    )

    class Meta:
        model = Source
        fields = (
            *(name for name in COMMON_FIELDS if name not in ("website", "sources")),
            "author",
            "author_ja",
            "publisher",
            "publisher_ja",
            "published_on",
            "published_on_precision",
            "language",
            "source_url",
            "reliability_note",
            "reliability_note_ja",
        )
