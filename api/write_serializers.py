"""Input serializers of the write API: related records by slug, the model's own rules enforced.

Every write runs ``full_clean()`` on the record, so the API refuses exactly what the admin
and the importers refuse, with the same messages, per field.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers

from directory.choices import FacilityRoleKind, ProgrammeRoleKind
from directory.models import (
    AccessMode,
    Agreement,
    Call,
    Country,
    Facility,
    FacilityRole,
    Institution,
    Programme,
    ProgrammeRole,
    ResearchField,
    Technique,
)

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

    RoleLinkSerializer.__name__ = f"{role_choices.__name__}LinkSerializer"
    return RoleLinkSerializer


FacilityRoleLink = role_link_serializer(FacilityRoleKind)
ProgrammeRoleLink = role_link_serializer(ProgrammeRoleKind)


class RecordWriteSerializer(serializers.ModelSerializer):
    """Validates a record with the model's own rules and saves it with its relations."""

    #: (payload field, role-link model, owner field) for records with role links
    ROLE_LINKS: tuple | None = None

    aliases = serializers.ListField(child=serializers.CharField(), required=False)
    sources = serializers.ListField(child=serializers.DictField(), required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        plain = {
            key: value
            for key, value in attrs.items()
            if not isinstance(self.fields.get(key), serializers.ManyRelatedField)
            and not isinstance(self.fields.get(key), serializers.ListSerializer)
        }
        if self.instance is not None:
            candidate = self.Meta.model._default_manager.get(pk=self.instance.pk)
        else:
            candidate = self.Meta.model()
        for key, value in plain.items():
            setattr(candidate, key, value)
        try:
            candidate.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(_as_drf(error)) from None
        if self.ROLE_LINKS and self.ROLE_LINKS[0] in attrs:
            seen = set()
            for link in attrs[self.ROLE_LINKS[0]]:
                key = (link["institution"].pk, link["role"])
                if key in seen:
                    raise serializers.ValidationError(
                        {
                            self.ROLE_LINKS[0]: [
                                f"{link['institution'].slug} appears twice as {link['role']}."
                            ]
                        }
                    )
                seen.add(key)
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        many, links = self._split(validated_data)
        record = self.Meta.model._default_manager.create(**validated_data)
        self._save_relations(record, many, links)
        return record

    @transaction.atomic
    def update(self, instance, validated_data):
        many, links = self._split(validated_data)
        for key, value in validated_data.items():
            setattr(instance, key, value)
        instance.save()
        self._save_relations(instance, many, links)
        return instance

    def _split(self, validated_data):
        many = {
            key: validated_data.pop(key)
            for key in list(validated_data)
            if isinstance(self.fields.get(key), serializers.ManyRelatedField)
        }
        links = None
        if self.ROLE_LINKS and self.ROLE_LINKS[0] in validated_data:
            links = validated_data.pop(self.ROLE_LINKS[0])
        return many, links

    def _save_relations(self, record, many, links) -> None:
        for key, values in many.items():
            attribute = self.fields[key].source or key
            getattr(record, attribute).set(values)
        if links is None:
            return
        _, model, owner = self.ROLE_LINKS
        wanted = {(link["institution"].pk, link["role"]): link for link in links}
        existing = {
            (link.institution_id, link.role): link
            for link in model.objects.filter(**{owner: record})
        }
        for key, link in existing.items():
            if key not in wanted:
                link.delete()
        for key, link in wanted.items():
            note = link.get("note", "")
            if key in existing:
                if existing[key].note != note:
                    existing[key].note = note
                    existing[key].save()
            else:
                model.objects.create(
                    **{owner: record}, institution=link["institution"], role=link["role"], note=note
                )


def _as_drf(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): messages
            for key, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


class TechniqueWriteSerializer(RecordWriteSerializer):
    class Meta:
        model = Technique
        fields = (*COMMON_FIELDS, "probe")


class ResearchFieldWriteSerializer(RecordWriteSerializer):
    class Meta:
        model = ResearchField
        fields = COMMON_FIELDS


class InstitutionWriteSerializer(RecordWriteSerializer):
    country = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all())
    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=Institution.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Institution
        fields = (
            *COMMON_FIELDS,
            "kind",
            "country",
            "city",
            "latitude",
            "longitude",
            "ror_id",
            "parent",
        )


class FacilityWriteSerializer(RecordWriteSerializer):
    ROLE_LINKS = ("institutions", FacilityRole, "facility")

    country = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all())
    techniques = slugs(Technique)
    access_modes = slugs(AccessMode)
    research_fields = slugs(ResearchField, source="fields")
    institutions = FacilityRoleLink(
        many=True, required=False, help_text="Operators and partners: replaces all role links."
    )

    class Meta:
        model = Facility
        fields = (
            *COMMON_FIELDS,
            "kind",
            "status",
            "country",
            "city",
            "site",
            "latitude",
            "longitude",
            "energy_gev",
            "circumference_m",
            "beamline_count",
            "first_operation_year",
            "user_programme_year",
            "construction_cost",
            "construction_cost_currency",
            "techniques",
            "access_modes",
            "research_fields",
            "institutions",
        )


class ProgrammeWriteSerializer(RecordWriteSerializer):
    ROLE_LINKS = ("institutions", ProgrammeRole, "programme")

    countries = slugs(Country, field="code")
    research_fields = slugs(ResearchField, source="fields")
    facilities = slugs(Facility)
    institutions = ProgrammeRoleLink(
        many=True, required=False, help_text="Funders and agencies: replaces all role links."
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
        )


class CallWriteSerializer(RecordWriteSerializer):
    programme = serializers.SlugRelatedField(slug_field="slug", queryset=Programme.objects.all())
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
