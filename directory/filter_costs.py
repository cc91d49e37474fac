"""The two measured savings on django-filter's per-request cost, through its public hooks.

Every list request builds one filterset. django-filter then (1) deep-copies every declared
filter (``copy.deepcopy(self.base_filters)``), including each filter's OpenAPI annotation —
a country filter's enum of 249 codes is copied on every request — and (2) builds a new form
class, calling ``Filter.field`` and ``label_for_filter`` for every filter, although both are
the same for every request of a filterset class.

Measured on 2026-12-03 (build the filterset for
``?country=JP&kind=synchrotron`` — ``country=JP`` for the other two — then ``is_valid()``
and ``.qs``; CPU, the best of five runs of 300): facilities 2.75 → 0.82 ms per request,
programmes 2.33 → 1.26, institutions 1.64 → 0.59. Under cProfile they were 43 % of an
uncached filtered facility page (deep copies 18 %, the form class 14 %).

With the generated lookups (directory.filtersets ``lookups``: 101 filters on facilities instead
of 21) the same measure, on 2026-12-03 under a shared load of 7-8, alternating with the code
before them: facilities 0.87-0.95 (before) vs 0.87-1.09 ms (after), programmes 1.29-1.62 vs
1.25-1.51, institutions 0.59-0.83 vs 0.53-0.65 — unchanged within the noise, because a request's
filterset holds only the lookups it gives (:class:`FormClassPerFilterSet`); copying all 101
filters and cleaning 101 form fields per request had made facilities 1.87 ms.

Both are plain Python and public django-filter API:
- :class:`SharedConfiguration` gives our filter classes a ``__deepcopy__`` (Python's copy
  protocol) that copies the filter itself — its own attributes, so that django-filter can set
  ``model`` and ``parent`` on the copy — and shares its configuration (``extra``, the schema
  annotation, choices), which nothing changes after the class is declared. A filter with a
  ``method`` gets it again through the public ``method`` property, which binds the method
  to the copy (and so to the copy's filterset): a shallow copy alone would keep calling the
  declared filter's method, whose filterset is none.
- :class:`FormClassPerFilterSet` overrides ``get_form_class()``, the hook django-filter's
  docstring names for this, to build the form class once per filterset class. A form
  instance still deep-copies its fields (Django's ``BaseForm``), so no request shares state.

``tests/test_filter_costs.py`` checks that every filter of every filterset has the cheap copy,
that a copy's method runs against its own filterset, and that answers are unchanged.
"""

from __future__ import annotations

import copy
import threading

import django_filters


class SharedConfiguration:
    """A filter whose copies share its (never changed) configuration; see the module."""

    def __deepcopy__(self, memo):
        # copy.copy(self), without its generic protocol (__reduce_ex__, copyreg): a list
        # builds one copy per filter per request, a hundred with the generated lookups.
        duplicate = object.__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        memo[id(self)] = duplicate
        if self.method is not None:
            # Rebinds django-filter's FilterMethod to the duplicate (the property's setter).
            duplicate.method = self.method
        return duplicate


class FilterTable(dict):
    """A filterset's ``base_filters`` whose deep copy (one per request) copies each filter
    through its own ``__deepcopy__`` and keeps the names as they are (strings), without
    ``copy.deepcopy``'s dispatch and memo bookkeeping per key and per value."""

    def __deepcopy__(self, memo):
        return {
            name: (
                filter_.__deepcopy__(memo)
                if isinstance(filter_, SharedConfiguration)
                else copy.deepcopy(filter_, memo)
            )
            for name, filter_ in self.items()
        }


class NumberFilter(SharedConfiguration, django_filters.NumberFilter):
    pass


class OrderingFilter(SharedConfiguration, django_filters.OrderingFilter):
    pass


#: form classes by (filterset class, optional filters given); at most FORM_CLASSES_KEPT
_form_classes: dict[tuple[type, frozenset[str]], type] = {}
_form_classes_lock = threading.Lock()
FORM_CLASSES_KEPT = 512


class FormClassPerFilterSet:
    """A filterset whose form class is built once per filterset class; see the module.

    Of its ``optional_filters`` (the generated lookups: dozens per list, of which a request
    gives a few at most), a filterset holds only those the request gives: each filter of a
    filterset costs on every request, given or not (django-filter copies it, the form copies
    and cleans its field). ``base_filters`` (every parameter: the schema, the allowed names)
    stays whole on the class; the instance's own ``base_filters``, which django-filter copies
    into ``filters``, is the declared filters plus the given optional ones. The form class is
    then one per filterset class and set of given optional filters; at most
    :data:`FORM_CLASSES_KEPT` are kept (the oldest is dropped), so no sequence of requests
    grows memory without bound.
    """

    #: filters that exist in a request's filterset only when the request gives them
    optional_filters: frozenset[str] = frozenset()

    def __init__(self, data=None, *args, **kwargs):
        optional = self.optional_filters
        self.given_optional = frozenset(name for name in (data or ()) if name in optional)
        if optional:
            self.base_filters = FilterTable(
                (name, filter_)
                for name, filter_ in type(self).base_filters.items()
                if name not in optional or name in self.given_optional
            )
        super().__init__(data, *args, **kwargs)

    def get_form_class(self):
        key = (type(self), self.given_optional)
        form_class = _form_classes.get(key)
        if form_class is None:
            with _form_classes_lock:
                form_class = _form_classes.get(key)
                if form_class is None:
                    form_class = super().get_form_class()
                    if len(_form_classes) >= FORM_CLASSES_KEPT:
                        del _form_classes[next(iter(_form_classes))]
                    _form_classes[key] = form_class
        return form_class
