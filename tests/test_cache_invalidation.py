"""A committed write makes stale the cached answers it can change, and only those.

Each kind of answer (directory.kinds) has its own generation; a write raises those of the kinds
whose records it wrote or whose versions it raised, and the response cache keeps every other
answer. Each test runs with the per-process cache (locmem, which checks the database's
generations) and with Redis (which holds them), writes through the services and reads through
HTTP, and names every page that must miss and every one that must still hit: invalidating
everything or nothing fails it.
"""

from __future__ import annotations

import django_filters
import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from config.response_cache import answer_kinds
from directory import choices, filtersets, services
from directory import kinds as kinds_module
from directory.kinds import (
    CHANGES,
    DETAIL_KINDS,
    KINDS,
    MEMBERSHIP_KINDS,
    RECORD_KINDS,
    changed_kinds,
    membership,
)
from directory.models import Facility, Source, Technique
from tests.factories import (
    CallFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    InstrumentFactory,
    ProgrammeFactory,
    ResearchFieldFactory,
    SourceFactory,
    TechniqueFactory,
    citation,
    delete,
    update,
)
from tests.test_response_cache import record_redis_round_trips, redis_caches

#: Cached pages, each with the kind of answer it is (search: the cross search, every kind).
PAGES = {
    "/api/v1/facilities/": "facility",
    "/api/v1/facilities/spring-8/": "facility",
    "/embed/facilities/": "facility",
    "/api/v1/programmes/": "programme",
    "/embed/programmes/": "programme",
    "/api/v1/calls/": "call",
    "/api/v1/calls.ics": "call",
    "/api/v1/institutions/": "institution",
    "/api/v1/techniques/": "technique",
    "/api/v1/fields/": "field",
    "/api/v1/search/?q=spring": "search",
    "/api/v1/changes/": "changes",
    "/feeds/changes.atom": "changes",
}


@pytest.fixture(params=["locmem", "redis"])
def response_cache(request, settings, reference_data):
    """The response cache on, per process (locmem) or shared (Redis)."""
    settings.RESPONSE_CACHE_SECONDS = 60
    if request.param == "redis":
        settings.CACHES = redis_caches()
        caches["default"].is_available()  # fails loudly (not a skip) when Redis is not there
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    yield caches["default"]
    caches["default"].clear()


@pytest.fixture
def directory(response_cache):
    """SPring-8 offering XAFS, operated by RIKEN, in the Q-LEAP programme with an open call."""
    xafs = TechniqueFactory(slug="xafs", name="XAFS")
    facility = FacilityFactory(slug="spring-8", name="SPring-8", city="Sayo", techniques=[xafs])
    FacilityRoleFactory(facility=facility, institution=InstitutionFactory(slug="riken"))
    programme = ProgrammeFactory(slug="q-leap", name="Q-LEAP", facilities=[facility])
    CallFactory(programme=programme, slug="q-leap-2026")
    ResearchFieldFactory(slug="photonics", name="Photonics")
    return facility


@pytest.fixture
def api(directory):
    """An anonymous client that has every page of PAGES cached."""
    client = APIClient(HTTP_HOST="localhost")
    for url in PAGES:
        first = client.get(url)
        assert first.status_code == 200, (url, first.status_code)
        assert client.get(url)["X-Cache"] == "hit", url
    return client


def assert_missed(api, kinds: set[str]) -> None:
    """The pages of ``kinds`` are computed again; every other page is still served cached."""
    expected = {url: "miss" if kind in kinds else "hit" for url, kind in PAGES.items()}
    assert {url: api.get(url)["X-Cache"] for url in PAGES} == expected


def test_a_facility_write_leaves_the_other_kinds_cached(api, directory):
    update(directory, city="Sayo-cho")

    assert_missed(api, {"facility", "search", "changes"})
    assert api.get("/api/v1/facilities/spring-8/").json()["city"] == "Sayo-cho"


def test_renaming_a_technique_changes_the_facilities_showing_it(api, directory):
    update(Technique.objects.get(slug="xafs"), name="X-ray absorption")

    assert_missed(api, {"technique", "facility", "search", "changes"})
    techniques = api.get("/api/v1/facilities/spring-8/").json()["techniques"]
    assert [technique["name"] for technique in techniques] == ["X-ray absorption"]


def test_unpublishing_and_publishing_a_facility(api, directory):
    # The programme, the technique and the operator show it: their answers change with it.
    shown_by = {"facility", "programme", "technique", "institution", "search", "changes"}
    update(directory, is_published=False)
    assert_missed(api, shown_by)
    assert api.get("/api/v1/programmes/q-leap/").json()["facilities"] == []

    update(Facility._base_manager.get(slug="spring-8"), is_published=True)
    assert_missed(api, shown_by)


def test_deleting_a_call_changes_the_calls_and_its_programme(api, directory):
    """A programme shows its open calls (directory.kinds.ALSO_READ)."""
    programme = api.get("/api/v1/programmes/q-leap/").json()
    assert [call["slug"] for call in programme["open_calls"]] == ["q-leap-2026"]

    from directory.models import Call

    delete(Call.objects.get(slug="q-leap-2026"))

    assert_missed(api, {"call", "programme", "search", "changes"})
    assert api.get("/api/v1/programmes/q-leap/").json()["open_calls"] == []


def test_deleting_a_technique_changes_the_facilities_offering_it(api, directory):
    delete(Technique.objects.get(slug="xafs"))

    assert_missed(api, {"technique", "facility", "search", "changes"})
    assert api.get("/api/v1/facilities/spring-8/").json()["techniques"] == []


def test_a_new_draft_changes_its_kind_but_not_the_public_feed(api, directory):
    TechniqueFactory(slug="draft-probe", is_published=False)

    assert_missed(api, {"technique", "search"})


def test_the_cross_search_misses_after_a_write_of_any_kind(api, directory):
    from directory.models import ResearchField

    update(ResearchField.objects.get(slug="photonics"), description="Light and its uses.")

    assert_missed(api, {"field", "search", "changes"})


def test_a_facility_kind_changes_institutions_filtered_by_it(api, directory):
    """Institutions filter by the kind of their facilities (?facility_kind=), which the
    institutions' versions do not follow (directory.kinds.ALSO_READ)."""
    url = "/api/v1/institutions/?facility_kind=synchrotron"
    assert [row["slug"] for row in api.get(url).json()["results"]] == ["riken"]
    assert api.get(url)["X-Cache"] == "hit"

    update(directory, kind=choices.FacilityKind.XFEL)

    assert_missed(api, {"facility", "institution", "search", "changes"})
    assert api.get(url).json()["results"] == []


# --- a record's own details (Redis: the per-process cache checks the kinds in the database) ---


@pytest.fixture
def redis_only(response_cache):
    if not getattr(response_cache, "shared_between_processes", False):
        pytest.skip("Redis only: without a shared cache a detail follows its whole kind")
    return response_cache


def cached(api, *urls):
    for url in urls:
        assert api.get(url).status_code == 200, url
        assert api.get(url)["X-Cache"] == "hit", url


def test_a_write_changes_its_records_details_and_no_other(api, directory, response_cache):
    FacilityFactory(slug="nanoterasu", name="NanoTerasu")
    other = "/api/v1/facilities/nanoterasu/"
    cached(api, other, "/api/v1/facilities/spring-8/")

    update(directory, city="Sayo-cho")

    assert api.get("/api/v1/facilities/spring-8/")["X-Cache"] == "miss"
    # With Redis the other facility's detail stays cached; per process it follows the kind.
    shared = getattr(response_cache, "shared_between_processes", False)
    assert api.get(other)["X-Cache"] == ("hit" if shared else "miss")
    assert api.get("/api/v1/facilities/spring-8/").json()["city"] == "Sayo-cho"


def test_a_description_edit_changes_only_the_list_pages_showing_the_record(
    api, directory, redis_only
):
    """A list page depends on which records the lists hold (membership) and on its own
    records: a description is in no filter, facet, search or ordering, so editing SPring-8's
    leaves every page without SPring-8 cached — but for the lists that read the time of the
    last change (updated_since, ordering=updated_at, sync pages), which every write moves."""
    FacilityFactory(slug="isis", name="ISIS Neutron and Muon Source")
    showing = ["/api/v1/facilities/", "/api/v1/facilities/?q=spring&facets=kind"]
    not_showing = ["/api/v1/facilities/?q=isis", "/api/v1/facilities/isis/"]
    reading_every_write = [
        "/api/v1/facilities/?q=isis&updated_since=2000-01-01",
        "/api/v1/facilities/?q=isis&ordering=-updated_at",
        "/api/v1/facilities/?q=isis&sync=true",  # a sync page: in the order of the last change
    ]
    cached(api, *showing, *not_showing, *reading_every_write)

    update(directory, description="A third-generation synchrotron in Harima.")

    assert {
        url: api.get(url)["X-Cache"] for url in showing + not_showing + reading_every_write
    } == {
        **dict.fromkeys(showing, "miss"),
        **dict.fromkeys(not_showing, "hit"),
        **dict.fromkeys(reading_every_write, "miss"),
    }
    (spring8,) = api.get("/api/v1/facilities/?q=spring").json()["results"]
    assert spring8["description"] == "A third-generation synchrotron in Harima."


@pytest.mark.parametrize(
    "change",
    [
        {"name": "SPring-8 (Super Photon ring)"},  # search, ordering
        {"is_published": False},  # who sees it, the count
        {"kind": "xfel"},  # filters and facets
    ],
)
def test_a_write_lists_read_changes_every_list_of_the_kind(api, directory, redis_only, change):
    FacilityFactory(slug="isis", name="ISIS Neutron and Muon Source")
    pages = ["/api/v1/facilities/?q=isis", "/api/v1/facilities/?q=isis&facets=kind"]
    cached(api, *pages, "/api/v1/facilities/isis/")

    update(directory, **change)

    assert [api.get(url)["X-Cache"] for url in pages] == ["miss", "miss"]
    assert api.get("/api/v1/facilities/isis/")["X-Cache"] == "hit"


def test_a_new_record_changes_every_list_of_its_kind(api, directory, redis_only):
    cached(api, "/api/v1/facilities/?q=isis")
    FacilityFactory(slug="isis", name="ISIS Neutron and Muon Source")
    answer = api.get("/api/v1/facilities/?q=isis")
    assert (answer["X-Cache"], answer.json()["count"]) == ("miss", 1)


def test_a_renamed_technique_changes_the_details_showing_it_and_no_other(
    api, directory, redis_only
):
    FacilityFactory(slug="nanoterasu", name="NanoTerasu")
    cached(api, "/api/v1/facilities/nanoterasu/", "/api/v1/facilities/spring-8/")

    update(Technique.objects.get(slug="xafs"), name="X-ray absorption")

    assert api.get("/api/v1/facilities/spring-8/")["X-Cache"] == "miss"
    assert api.get("/api/v1/facilities/nanoterasu/")["X-Cache"] == "hit"


def test_a_renamed_source_changes_both_ends_of_a_succession_citing_it(
    api, directory, response_cache
):
    SourceFactory(slug="transition-report", name="Transition Report")
    old, new = FacilityFactory(slug="old-ring"), FacilityFactory(slug="new-ring")
    link = services.SuccessionLink(
        new, "upgraded_into", sources=[citation("transition-report", "p. 7")]
    )
    services.record_update(record=old, relations={"successors": [link]})
    ends = {
        "/api/v1/facilities/old-ring/": "successors",
        "/api/v1/facilities/new-ring/": "predecessors",
    }
    cached(api, *ends, "/api/v1/facilities/spring-8/")

    update(Source.objects.get(slug="transition-report"), name="Transition Report (revised)")

    assert {url: api.get(url)["X-Cache"] for url in ends} == dict.fromkeys(ends, "miss")
    # With Redis a detail not citing it stays cached; per process it follows the kind.
    shared = getattr(response_cache, "shared_between_processes", False)
    assert api.get("/api/v1/facilities/spring-8/")["X-Cache"] == ("hit" if shared else "miss")
    for url, relation in ends.items():
        (brief,) = api.get(url).json()[relation]
        assert brief["sources"][0]["source"]["title"] == "Transition Report (revised)", url


def test_beyond_the_limit_a_write_changes_every_detail_of_the_kind(
    api, directory, redis_only, monkeypatch
):
    monkeypatch.setattr(kinds_module, "NAMED_RECORDS_LIMIT", 1)
    xafs = Technique.objects.get(slug="xafs")
    FacilityFactory(slug="sagals", techniques=[xafs])
    FacilityFactory(slug="nanoterasu")
    urls = [f"/api/v1/facilities/{slug}/" for slug in ("spring-8", "sagals", "nanoterasu")]
    cached(api, *urls)

    update(xafs, name="X-ray absorption")  # shown by two facilities: more than the limit

    assert {url: api.get(url)["X-Cache"] for url in urls} == dict.fromkeys(urls, "miss")


def test_a_renamed_or_deleted_record_is_not_served_at_its_old_slug(api, directory, redis_only):
    FacilityFactory(slug="nanoterasu", name="NanoTerasu")
    cached(api, "/api/v1/facilities/nanoterasu/")

    update(Facility.objects.get(slug="nanoterasu"), slug="nano-terasu")
    assert api.get("/api/v1/facilities/nanoterasu/").status_code == 404
    assert api.get("/api/v1/facilities/nano-terasu/").status_code == 200

    cached(api, "/api/v1/facilities/nano-terasu/")
    delete(Facility.objects.get(slug="nano-terasu"))
    assert api.get("/api/v1/facilities/nano-terasu/").status_code == 404


def test_a_lost_record_generation_never_passes_a_stale_detail(api, directory, redis_only):
    """Redis may evict a record's generation: it restarts at its kind's generation, which the
    write that changed the record raised too, so the answer cached before that write stays
    stale."""
    from directory.models.state import record_cache_key

    url = "/api/v1/facilities/spring-8/"
    key = record_cache_key("facility:spring-8")
    redis_only.clear()  # the answer is cached while the record has no generation of its own
    cached(api, url)
    update(directory, city="Sayo-cho")
    redis_only.delete(key)

    answer = api.get(url)
    assert (answer["X-Cache"], answer.json()["city"]) == ("miss", "Sayo-cho")
    assert api.get(url)["X-Cache"] == "hit"


def test_an_open_call_changes_every_programme_detail(api, directory, redis_only):
    """What a programme's detail reads of its calls is not in its version (directory.kinds
    .ALSO_READ): a call write changes every programme detail."""
    ProgrammeFactory(slug="horizon-europe")
    urls = ["/api/v1/programmes/q-leap/", "/api/v1/programmes/horizon-europe/"]
    cached(api, *urls)

    from directory.models import Call

    update(Call.objects.get(slug="q-leap-2026"), name="Q-LEAP call 2026")

    assert {url: api.get(url)["X-Cache"] for url in urls} == dict.fromkeys(urls, "miss")


# --- the rule, without HTTP --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kinds"),
    [
        ("/api/v1/facilities/", ("facility",)),
        ("/api/v1/facilities/spring-8/", ("facility", "facility.details")),
        ("/api/v1/fields/photonics/", ("field", "field.details")),
        ("/api/v1/facilities/spring-8/extra/", ("facility",)),
        ("/api/v1/institutions/match/", ("institution", "facility")),
        ("/api/v1/institutions/tohoku-university/", ("institution", "institution.details")),
        ("/api/v1/calls.ics", ("call",)),
        ("/api/v1/search/", RECORD_KINDS),
        ("/api/v1/changes/", (CHANGES,)),
        ("/feeds/changes.atom", (CHANGES,)),
        ("/embed/programmes/", ("programme",)),
        ("/embed/", KINDS),
        ("/embed/widget.js", KINDS),
        ("/oembed", KINDS),
        ("/api/v1/", KINDS),
        ("/api/schema/", KINDS),
        ("/api/docs/", KINDS),
    ],
)
def test_each_path_depends_on_its_kinds(path, kinds):
    assert answer_kinds(path) == kinds


M = membership


@pytest.mark.parametrize(
    ("written", "raised", "linked", "kinds"),
    [
        # A description is shown, never filtered on: no list's membership changes.
        ({"facility": {"description"}}, {"facility"}, (), {"facility"}),
        ({"facility": {"city"}}, {"facility"}, (), {"facility", M("facility")}),
        (
            {"facility": {"kind"}},
            {"facility"},
            (),
            {"facility", M("facility"), "institution", M("institution")},
        ),
        (
            {"facility": None},
            {"facility"},
            (),
            # … and instruments, which filter by their facility's energy
            {
                "facility",
                M("facility"),
                "institution",
                M("institution"),
                "instrument",
                M("instrument"),
            },
        ),
        ({"programme": {"description"}}, {"programme"}, (), {"programme"}),
        (
            {"programme": {"fields"}},
            {"programme", "researchfield"},
            {"researchfield"},
            {"programme", M("programme"), "field", M("field"), "call", M("call")},
        ),
        # A programme shows its calls' names, dates and status, and filters on their dates.
        ({"call": {"description"}}, {"call"}, (), {"call"}),
        (
            {"call": {"closes_at"}},
            {"call"},
            (),
            {"call", M("call"), "programme", "programme.details", M("programme")},
        ),
        (
            {"researchfield": {"slug"}},
            {"researchfield"},
            (),
            {"field", M("field"), "call", M("call")},
        ),
        ({"accessmode": {"kind"}}, {"accessmode"}, (), {"facility", M("facility")}),
        ({"instrument": {"description"}}, {"instrument"}, (), {"instrument"}),
        (
            {"instrument": {"name"}},
            {"instrument", "facility"},
            {"facility"},
            {"instrument", M("instrument"), "facility", M("facility")},
        ),
        # Instruments filter by their facility's beam energy.
        (
            {"facility": {"energy_gev"}},
            {"facility"},
            (),
            {"facility", M("facility"), "instrument", M("instrument")},
        ),
        (
            {"technique": {"name"}},
            {"technique", "facility"},
            {"facility"},
            {"technique", M("technique"), "facility", M("facility")},
        ),
        ({"somethingnew": None}, set(), (), {*RECORD_KINDS, *DETAIL_KINDS, *MEMBERSHIP_KINDS}),
    ],
)
def test_the_kinds_a_write_changes(written, raised, linked, kinds):
    assert changed_kinds(written, raised, feed_written=False, linked=linked) == kinds
    assert changed_kinds(written, raised, feed_written=True, linked=linked) == kinds | {CHANGES}


# --- Redis ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_published_generation_never_goes_back(settings):
    settings.CACHES = redis_caches()
    backend = caches["default"]
    try:
        backend.raise_many({"a": 5, "b": 7})
        backend.raise_many({"a": 4, "b": 9, "c": 1})  # a slower process's older write
        assert backend.get_many(["a", "b", "c"]) == {"a": 5, "b": 9, "c": 1}
    finally:
        backend.clear()


def test_a_hit_of_every_kind_is_one_redis_round_trip(api, response_cache, monkeypatch):
    if not getattr(response_cache, "shared_between_processes", False):
        pytest.skip("Redis only: the per-process cache reads the generations from the database")
    trips = record_redis_round_trips(monkeypatch)
    assert api.get("/api/v1/search/?q=spring")["X-Cache"] == "hit"
    assert trips == ["pipeline"]


def test_on_the_seed_data_an_edit_changes_its_own_detail_and_no_other(
    reference_data, redis_cache, seed_data
):
    """The seed path `make run` loads, with Redis: editing SPring-8 leaves the other
    facilities' cached details cached, and its own shows the edit."""
    api = APIClient(HTTP_HOST="localhost")
    urls = [f"/api/v1/facilities/{slug}/" for slug in ("spring-8", "nanoterasu", "j-parc")]
    cached(api, *urls)

    update(Facility.objects.get(slug="spring-8"), city="Sayo-cho")  # commits (reference_data)

    assert {url: api.get(url)["X-Cache"] for url in urls} == {
        urls[0]: "miss",
        urls[1]: "hit",
        urls[2]: "hit",
    }
    assert api.get(urls[0]).json()["city"] == "Sayo-cho"


# --- what lists read ----------------------------------------------------------------------------


def _fields_read(filterset_class) -> set[str]:
    """The record fields a filterset's filters, orderings and facets name (the first step of
    each lookup path), and its search fields."""
    # q reads the search key and the place key, derived from these fields (key_fields).
    names = set(filterset_class._meta.model.key_fields()) | {"search_key", "place_key"}
    for name, filter_ in filterset_class.base_filters.items():
        if isinstance(filter_, django_filters.OrderingFilter):
            names.update(path.split("__")[0] for path in filter_.param_map.values())
        elif not filter_.method:
            names.add(filter_.field_name.split("__")[0])
        else:
            names.add(name)  # a method filter: at least its own name must not be blind
    names.update(facet.path.split("__")[0] for facet in filterset_class.facets.values())
    return names


#: Every list's filterset.
FILTERSETS = [
    value
    for value in vars(filtersets).values()
    if isinstance(value, type)
    and issubclass(value, filtersets.DirectoryFilterSet)
    and value is not filtersets.DirectoryFilterSet
]


@pytest.mark.parametrize(
    "filterset_class",
    FILTERSETS,
    ids=lambda value: value.__name__,
)
def test_no_list_filters_facets_searches_or_orders_on_a_field_declared_blind(filterset_class):
    """directory.kinds.LIST_BLIND_FIELDS: a write of only those fields leaves every list's
    membership as it was, so no list may read one — but for ``updated_at``, which the lists
    reading it declare (DirectoryFilterSet.reads_every_write)."""
    read = _fields_read(filterset_class) - {"updated_at", "updated_since"}
    assert not read & kinds_module.LIST_BLIND_FIELDS


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filterset_class",
    FILTERSETS,
    ids=lambda value: value.__name__,
)
def test_every_filter_on_the_last_change_is_declared_to_read_every_write(filterset_class):
    """The guard above lets ``updated_at`` pass because the lists reading it depend on their
    whole kind: every filter on it, generated lookups included (``updated_at__gte``…), must
    make reads_every_write() true, or a cached page would miss a write."""
    from django.http import QueryDict

    on_updated_at = [
        name
        for name, filter_ in filterset_class.base_filters.items()
        if filter_.field_name == "updated_at"
    ]
    assert {"updated_since", "updated_at__gte", "updated_at__lt"} <= set(on_updated_at)
    model = filterset_class._meta.model
    for name in on_updated_at:
        filterset = filterset_class(
            QueryDict(f"{name}=2020-01-01"), queryset=model.objects.all(), request=None
        )
        assert filterset.is_valid(), filterset.errors
        assert filterset.reads_every_write(), name


def test_instrument_answers_follow_their_facility(response_cache):
    """An instrument's list and detail show its facility in brief and filter by its beam
    energy: a rename or an energy change of the facility makes them stale; a write of
    another kind leaves them cached."""
    ring = FacilityFactory(slug="ring", name="Ring", energy_gev=3)
    InstrumentFactory(slug="b16", facility=ring)
    technique = TechniqueFactory(slug="xafs")
    client = APIClient(HTTP_HOST="localhost")
    pages = [
        "/api/v1/instruments/",
        "/api/v1/instruments/b16/",
        "/api/v1/instruments/?facility_energy_gev_min=2",
    ]

    def states():
        return [client.get(url)["X-Cache"] for url in pages]

    states()
    assert states() == ["hit", "hit", "hit"]
    update(technique, name="XAFS again")
    assert states() == ["hit", "hit", "hit"]
    update(ring, name="Ring II")
    assert states() == ["miss", "miss", "miss"]
    assert client.get("/api/v1/instruments/b16/").json()["facility"]["name"] == "Ring II"
    update(Facility.objects.get(slug="ring"), energy_gev=1)
    assert states()[2] == "miss"
    assert client.get(pages[2]).json()["results"] == []
    update(Facility.objects.get(slug="ring"), is_published=False)
    assert [client.get(url).status_code for url in pages[:2]] == [200, 404]
    assert client.get(pages[0]).json()["results"] == []
