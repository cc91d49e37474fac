"""Django admin for curators: every model, searchable by the same normalised key as the API."""

from __future__ import annotations

from django.contrib import admin

from directory.models import (
    AccessMode,
    Agreement,
    Call,
    Country,
    Facility,
    FacilityRole,
    Institution,
    Instrument,
    Programme,
    ProgrammeRole,
    ResearchField,
    Technique,
)
from directory.search import normalise

PROVENANCE_FIELDSET = (
    "Provenance",
    {
        "fields": (
            "sources",
            "last_verified_on",
            "needs_review",
            "review_note",
            "is_published",
        )
    },
)
NAMES_FIELDSET = (
    "Identity",
    {"fields": ("name", "name_ja", "slug", "acronym", "aliases", "website")},
)
DESCRIPTION_FIELDSET = ("Description", {"fields": ("description", "description_ja")})


class NamedRecordAdmin(admin.ModelAdmin):
    """Shared admin behaviour: normalised search, prepopulated slug, provenance columns."""

    search_fields = ("search_key",)
    prepopulated_fields = {"slug": ("name",)}
    list_filter = ("is_published", "needs_review")
    readonly_fields = ("created_at", "updated_at")
    list_per_page = 50

    def get_search_results(self, request, queryset, search_term):
        """Match the normalised key, so "spring8" or "ｓｐｒｉｎｇ－８" finds SPring-8."""
        key = normalise(search_term)
        if not key:
            return queryset, False
        return queryset.filter(search_key__contains=key), False


class FacilityRoleInline(admin.TabularInline):
    model = FacilityRole
    autocomplete_fields = ("institution",)
    extra = 1


class InstrumentInline(admin.TabularInline):
    model = Instrument
    fields = ("name", "name_ja", "slug", "kind", "website")
    prepopulated_fields = {"slug": ("name",)}
    extra = 0
    show_change_link = True


class ProgrammeRoleInline(admin.TabularInline):
    model = ProgrammeRole
    autocomplete_fields = ("institution",)
    extra = 1


class CallInline(admin.TabularInline):
    model = Call
    fields = ("name", "name_ja", "slug", "opens_on", "closes_at", "deadline_timezone", "url")
    prepopulated_fields = {"slug": ("name",)}
    extra = 0
    show_change_link = True


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_ja")
    search_fields = ("code", "name", "name_ja")


@admin.register(Technique)
class TechniqueAdmin(NamedRecordAdmin):
    list_display = ("name", "name_ja", "probe", "is_published")
    list_filter = ("probe", *NamedRecordAdmin.list_filter)
    fieldsets = (NAMES_FIELDSET, ("Technique", {"fields": ("probe",)}), PROVENANCE_FIELDSET)


@admin.register(ResearchField)
class ResearchFieldAdmin(NamedRecordAdmin):
    list_display = ("name", "name_ja", "is_published")
    fieldsets = (NAMES_FIELDSET, DESCRIPTION_FIELDSET, PROVENANCE_FIELDSET)


@admin.register(AccessMode)
class AccessModeAdmin(NamedRecordAdmin):
    list_display = ("name", "name_ja", "kind", "is_published")
    fieldsets = (NAMES_FIELDSET, ("Kind", {"fields": ("kind",)}), PROVENANCE_FIELDSET)


@admin.register(Institution)
class InstitutionAdmin(NamedRecordAdmin):
    list_display = (
        "name",
        "name_ja",
        "acronym",
        "country",
        "kind",
        "is_published",
        "last_verified_on",
    )
    list_filter = ("country", "kind", *NamedRecordAdmin.list_filter)
    list_select_related = ("country",)
    autocomplete_fields = ("country", "parent")
    fieldsets = (
        NAMES_FIELDSET,
        ("Organisation", {"fields": ("kind", "parent", "ror_id")}),
        ("Location", {"fields": ("country", "city", "latitude", "longitude")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


@admin.register(Facility)
class FacilityAdmin(NamedRecordAdmin):
    list_display = (
        "name",
        "name_ja",
        "country",
        "kind",
        "status",
        "is_published",
        "last_verified_on",
    )
    list_filter = ("country", "kind", "status", *NamedRecordAdmin.list_filter)
    list_select_related = ("country",)
    autocomplete_fields = ("country", "techniques", "fields", "access_modes")
    inlines = (FacilityRoleInline, InstrumentInline)
    fieldsets = (
        NAMES_FIELDSET,
        ("Kind and status", {"fields": ("kind", "status")}),
        ("Location", {"fields": ("country", "city", "site", "latitude", "longitude")}),
        (
            "Figures",
            {
                "fields": (
                    "energy_gev",
                    "circumference_m",
                    "beamline_count",
                    "first_operation_year",
                    "user_programme_year",
                    ("construction_cost", "construction_cost_currency"),
                )
            },
        ),
        ("Relations", {"fields": ("techniques", "access_modes", "fields")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


@admin.register(Instrument)
class InstrumentAdmin(NamedRecordAdmin):
    list_display = ("name", "facility", "kind", "is_published")
    list_select_related = ("facility",)
    autocomplete_fields = ("facility", "techniques")
    fieldsets = (
        NAMES_FIELDSET,
        ("Instrument", {"fields": ("facility", "kind", "techniques")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


@admin.register(Programme)
class ProgrammeAdmin(NamedRecordAdmin):
    list_display = ("name", "name_ja", "kind", "status", "is_published", "last_verified_on")
    list_filter = ("kind", "status", *NamedRecordAdmin.list_filter)
    autocomplete_fields = ("countries", "fields", "facilities")
    inlines = (ProgrammeRoleInline, CallInline)
    fieldsets = (
        NAMES_FIELDSET,
        ("Kind and status", {"fields": ("kind", "status", "call_frequency")}),
        (
            "Dates and figures",
            {
                "fields": (
                    ("starts_on", "starts_on_precision"),
                    ("ends_on", "ends_on_precision"),
                    ("total_budget", "total_budget_currency"),
                    ("max_funding_per_project", "max_funding_currency"),
                    "typical_duration_months",
                )
            },
        ),
        ("Relations", {"fields": ("countries", "fields", "facilities")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


@admin.register(Call)
class CallAdmin(NamedRecordAdmin):
    list_display = ("name", "programme", "opens_on", "closes_at", "call_status", "is_published")
    list_select_related = ("programme",)
    autocomplete_fields = ("programme",)
    fieldsets = (
        NAMES_FIELDSET,
        ("Call", {"fields": ("programme", "opens_on", "closes_at", "deadline_timezone", "url")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )

    @admin.display(description="status")
    def call_status(self, obj: Call) -> str:
        return obj.status


@admin.register(Agreement)
class AgreementAdmin(NamedRecordAdmin):
    list_display = ("name", "name_ja", "kind", "signed_on", "is_published")
    list_filter = ("kind", *NamedRecordAdmin.list_filter)
    autocomplete_fields = ("institutions", "facilities")
    fieldsets = (
        NAMES_FIELDSET,
        (
            "Agreement",
            {"fields": ("kind", "signed_on", "renewed_on", "expires_on", "renewal_period_years")},
        ),
        ("Parties", {"fields": ("institutions", "facilities")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )
