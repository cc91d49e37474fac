"""Change-list filters of the directory's admin."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import get_language

from directory.choices import localised


class CountryFilter(admin.RelatedOnlyFieldListFilter):
    """The countries that have records in the list, as a drop-down with a search box.

    Django's own filter lists every country of the ISO list (249 links, a 7,000 px column
    that pushes the other filters off the screen); this one offers only the countries the
    records are in, named in the admin's language ("日本 (JP)" in Japanese), one line high
    (``admin/directory/filters/choice_dropdown.html``). Its query is Django's own:
    ``country__code__exact=JP``.
    """

    template = "admin/directory/filters/choice_dropdown.html"

    def field_choices(self, field, request, model_admin):
        codes = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list(f"{self.field_path}__pk", flat=True)
            .distinct()
        )
        countries = field.related_model._default_manager.filter(pk__in=codes)
        language = (get_language() or "en")[:2]
        choices = [
            (country.pk, f"{localised(country.name, country.name_ja, language)} ({country.pk})")
            for country in countries
        ]
        return sorted(choices, key=lambda choice: choice[1].casefold())
