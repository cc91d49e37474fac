"""Lifecycle: closing dates, and what came before and after a record (its successions).

A succession belongs to its predecessor (written with it, through the write services, like a
facility's role links) and is shown on both records: ``successors`` on the predecessor,
``predecessors`` on the successor, each in brief with its type, date, note and citations.
"""

from __future__ import annotations

import datetime
import io
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from directory import services
from directory.models import (
    ChangeEvent,
    Citation,
    Facility,
    FacilitySuccession,
    FeedEntry,
    Institution,
    InstitutionSuccession,
    Programme,
    ProgrammeSuccession,
    Source,
)
from directory.portable import export_directory, import_directory
from directory.resources import FacilityResource
from directory.roles import sync_role_groups
from tests.factories import (
    FacilityFactory,
    InstitutionFactory,
    ProgrammeFactory,
    SourceFactory,
    api_token,
    citation,
    cited_source,
    delete,
    direct_writes,
    update,
)
from tests.test_history import form_data, page_text
from tests.test_import_admin import as_csv, import_file, preview

pytestmark = pytest.mark.django_db

CITATION = citation(locator="p. 12", passage="…")
#: CITATION as the API shows it: the test source with what a reader needs to find it.
SHOWN_CITATION = {
    "source": {
        "slug": "test-source",
        "title": "Test source",
        "title_ja": "テスト出典",
        "display_title": "Test source",
        "publisher": "Test publisher",
        "publisher_ja": "",
        "date": None,
        "url": "https://example.org/source",
        "api_url": "http://localhost/api/v1/sources/test-source/",
    },
    "locator": "p. 12",
    "passage": "…",
}


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    """The tests' writes never commit, so the response cache would not learn of them."""
    settings.RESPONSE_CACHE_SECONDS = 0


def succeed(predecessor, *successors, kind="succeeded_by", **values):
    """Record ``successors`` as what followed ``predecessor``, through the write service."""
    links = [services.SuccessionLink(successor, kind, **values) for successor in successors]
    return services.record_update(
        record=predecessor, relations={"successors": links}, reason="Successions"
    )


def slugs(briefs) -> list[str]:
    return [brief["slug"] for brief in briefs]


@pytest.fixture
def tokamaks(db):
    old = FacilityFactory(
        slug="old-tokamak",
        name="Old Tokamak",
        status="closed",
        first_operation_year=1985,
        closed_on=datetime.date(2008, 5, 1),
        closed_on_precision="year",
    )
    new = FacilityFactory(slug="new-tokamak", name="New Tokamak", name_ja="新トカマク")
    succeed(
        old,
        new,
        date=datetime.date(2008, 6, 1),
        note="Built after it",
        note_ja="その後に建設",
        sources=[CITATION],
    )
    return old, new


@pytest.fixture
def editor(django_user_model):
    sync_role_groups()
    user = django_user_model.objects.create_user("eddie", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


# --- the read API ---------------------------------------------------------------------------


def test_a_succession_is_shown_both_ways_with_its_type_date_note_and_citations(api, tokamaks):
    old = api.get("/api/v1/facilities/old-tokamak/").json()
    assert old["closed_on"] == "2008-12-31"  # year-precise: the last day of the year
    assert old["closed_on_precision"] == "year"
    assert old["predecessors"] == []
    (successor,) = old["successors"]
    assert successor == {
        "slug": "new-tokamak",
        "name": "New Tokamak",
        "name_ja": "新トカマク",
        "display_name": "New Tokamak",
        "url": "http://localhost/api/v1/facilities/new-tokamak/",
        "type": "succeeded_by",
        "type_label": "Succeeded by",
        "date": "2008-01-01",  # year-precise: stored as the first day of the year
        "date_precision": "year",
        "note": "Built after it",
        "note_ja": "その後に建設",
        "sources": [SHOWN_CITATION],
    }
    new = api.get("/api/v1/facilities/new-tokamak/?lang=ja").json()
    assert new["successors"] == []
    (predecessor,) = new["predecessors"]
    assert predecessor["slug"] == "old-tokamak"
    assert predecessor["type_label"] == "後継"
    assert predecessor["note_ja"] == "その後に建設"
    assert predecessor["sources"] == [
        {**SHOWN_CITATION, "source": {**SHOWN_CITATION["source"], "display_title": "テスト出典"}}
    ]


def test_lists_leave_successions_to_the_details(api, tokamaks):
    rows = api.get("/api/v1/facilities/").json()["results"]
    assert rows and all("successors" not in row and "predecessors" not in row for row in rows)
    assert {row["slug"]: row["closed_on"] for row in rows}["old-tokamak"] == "2008-12-31"


@pytest.mark.parametrize(
    ("resource", "factory", "kind"),
    [
        ("facilities", FacilityFactory, "upgraded_into"),
        ("programmes", ProgrammeFactory, "replaced_by"),
        ("institutions", InstitutionFactory, "renamed_to"),
    ],
)
def test_filters_successor_of_and_predecessor_of(api, resource, factory, kind):
    first, second, third, _unrelated = (factory(slug=f"rec-{n}") for n in range(4))
    succeed(first, second, kind=kind)
    succeed(second, third, kind=kind)

    def found(query):
        response = api.get(f"/api/v1/{resource}/?{query}")
        assert response.status_code == HTTPStatus.OK, response.json()
        return sorted(slugs(response.json()["results"]))

    assert found("successor_of=rec-0") == ["rec-1"]
    assert found("successor_of=rec-0,rec-1") == ["rec-1", "rec-2"]
    assert found("predecessor_of=rec-2") == ["rec-1"]
    assert found("predecessor_of=rec-1&successor_of=rec-1") == []
    assert found("successor_of=unknown") == []
    detail = api.get(f"/api/v1/{resource}/rec-1/").json()
    assert slugs(detail["predecessors"]) == ["rec-0"] and slugs(detail["successors"]) == ["rec-2"]
    assert detail["successors"][0]["type"] == kind
    bad = api.get(f"/api/v1/{resource}/?successor_of=not a slug")
    assert bad.status_code == HTTPStatus.BAD_REQUEST and "successor_of" in bad.json()


def test_a_succession_to_a_draft_is_invisible_to_the_public(api, staff_api):
    published = FacilityFactory(slug="shown")
    draft = FacilityFactory(slug="draft", is_published=False)
    succeed(published, draft)
    assert api.get("/api/v1/facilities/shown/").json()["successors"] == []
    assert slugs(staff_api.get("/api/v1/facilities/shown/").json()["successors"]) == ["draft"]
    assert api.get("/api/v1/facilities/?predecessor_of=draft").json()["count"] == 0
    assert api.get("/api/v1/facilities/?successor_of=shown").json()["count"] == 0
    assert staff_api.get("/api/v1/facilities/?predecessor_of=draft").json()["count"] == 1
    # and the draft's own predecessors are no business of the public either
    assert api.get("/api/v1/facilities/draft/").status_code == HTTPStatus.NOT_FOUND


def test_renaming_a_predecessor_makes_its_successors_cached_answer_stale(api, settings, tokamaks):
    settings.REPRESENTATION_CACHE_SECONDS = 600
    old, new = tokamaks
    url = "/api/v1/facilities/new-tokamak/"
    assert api.get(url).json()["predecessors"][0]["name"] == "Old Tokamak"  # now cached
    version = Facility.objects.get(pk=new.pk).version
    update(old, name="Old Tokamak (JT)")
    assert Facility.objects.get(pk=new.pk).version > version
    assert api.get(url).json()["predecessors"][0]["name"] == "Old Tokamak (JT)"
    # and the other way: the successor's new name reaches the predecessor
    update(Facility.objects.get(pk=new.pk), name="New Tokamak SA")
    shown = api.get("/api/v1/facilities/old-tokamak/").json()["successors"]
    assert shown[0]["name"] == "New Tokamak SA"
    # a changed date reaches the successor too (it shows the link's date)
    succeed(old, Facility.objects.get(pk=new.pk), date=datetime.date(2009, 1, 1))
    assert api.get(url).json()["predecessors"][0]["date"] == "2009-01-01"


# --- a succession's citations ------------------------------------------------------------------


def cited_slugs(briefs) -> list[list[str]]:
    """The slugs of the sources each succession brief cites, as shown."""
    return [[item["source"]["slug"] for item in brief["sources"]] for brief in briefs]


@pytest.mark.parametrize(
    ("resource", "factory", "kind"),
    [
        ("facilities", FacilityFactory, "upgraded_into"),
        ("programmes", ProgrammeFactory, "replaced_by"),
        ("institutions", InstitutionFactory, "renamed_to"),
    ],
)
def test_a_succession_cites_its_sources_as_a_record_does_on_both_ends(api, resource, factory, kind):
    SourceFactory(
        slug="transition-report",
        name="Transition Report",
        name_ja="移行報告",
        publisher="Ministry",
        publisher_ja="省",
        published_on=datetime.date(2016, 4, 1),
        published_on_precision="month",
        url="https://example.org/transition",
    )
    cited = citation("transition-report", "lines 4–5", passage="It became the new one.")
    first, second = factory(slug="first-one"), factory(slug="second-one")
    # A record citing the same source in its own citations: the one rendering to compare with.
    witness = factory(slug="witness", sources=[cited])
    succeed(first, second, kind=kind, sources=[cited, citation(locator="p. 2")])

    own = api.get(f"/api/v1/{resource}/witness/").json()["sources"]
    assert own == [
        {
            "source": {
                "slug": "transition-report",
                "title": "Transition Report",
                "title_ja": "移行報告",
                "display_title": "Transition Report",
                "publisher": "Ministry",
                "publisher_ja": "省",
                "date": "2016-04",
                "url": "https://example.org/transition",
                "api_url": "http://localhost/api/v1/sources/transition-report/",
            },
            "locator": "lines 4–5",
            "passage": "It became the new one.",
        }
    ]
    (successor,) = api.get(f"/api/v1/{resource}/first-one/").json()["successors"]
    (predecessor,) = api.get(f"/api/v1/{resource}/second-one/").json()["predecessors"]
    test_source = {
        **SHOWN_CITATION,
        "locator": "p. 2",
        "source": {**SHOWN_CITATION["source"]},
    }
    del test_source["passage"]  # no passage quoted: none shown
    assert successor["sources"] == predecessor["sources"] == [*own, test_source]
    japanese = api.get(f"/api/v1/{resource}/second-one/", {"lang": "ja"}).json()
    assert japanese["predecessors"][0]["sources"][0]["source"]["display_title"] == "移行報告"
    # The citation index: both ends cite the succession's sources (and the witness its own).
    column = witness._meta.model_name
    index = Citation.objects.filter(source__slug="transition-report")
    assert set(index.values_list(f"{column}__slug", flat=True)) == {
        "first-one",
        "second-one",
        "witness",
    }


def test_a_draft_sources_succession_citation_is_hidden_from_the_public(api, staff_api, tokamaks):
    old, new = tokamaks
    SourceFactory(slug="internal-memo", name="Internal memo", is_published=False)
    succeed(old, new, sources=[citation("internal-memo", "p. 1"), CITATION])
    for path, relation in (
        ("/api/v1/facilities/old-tokamak/", "successors"),
        ("/api/v1/facilities/new-tokamak/", "predecessors"),
    ):
        response = api.get(path)
        assert cited_slugs(response.json()[relation]) == [["test-source"]], path
        assert b"internal-memo" not in response.content, path
        assert cited_slugs(staff_api.get(path).json()[relation]) == [
            ["internal-memo", "test-source"]
        ], path
    # The changes feed keeps its format (the stored citations) with public sources only.
    assert b"internal-memo" not in api.get("/api/v1/changes/", {"limit": 500}).content
    entry = FeedEntry.objects.filter(slug="old-tokamak").latest("id")
    assert entry.data["successors"][0]["sources"] == [CITATION]
    # Publishing the source shows its citation at once, on both ends and in the feed.
    services.record_publish(record=Source.objects.get(slug="internal-memo"))
    shown = api.get("/api/v1/facilities/new-tokamak/").json()["predecessors"]
    assert cited_slugs(shown) == [["internal-memo", "test-source"]]
    entry = FeedEntry.objects.filter(slug="old-tokamak").latest("id")
    assert [item["source"] for item in entry.data["successors"][0]["sources"]] == [
        "internal-memo",
        "test-source",
    ]


def test_renaming_a_source_changes_both_ends_cached_answers(api, settings, tokamaks):
    settings.REPRESENTATION_CACHE_SECONDS = 600
    old, new = tokamaks
    source = SourceFactory(slug="transition-report", name="Transition Report")
    succeed(old, new, sources=[citation("transition-report", "p. 7")])
    unrelated = FacilityFactory(slug="unrelated")
    paths = {
        "/api/v1/facilities/old-tokamak/": "successors",
        "/api/v1/facilities/new-tokamak/": "predecessors",
    }

    def titles():
        return {
            path: api.get(path).json()[relation][0]["sources"][0]["source"]["title"]
            for path, relation in paths.items()
        }

    assert titles() == dict.fromkeys(paths, "Transition Report")  # now cached
    versions = {pk: Facility.objects.get(pk=pk).version for pk in (old.pk, new.pk, unrelated.pk)}
    services.record_update(record=source, fields={"name": "Transition Report (revised)"})
    assert titles() == dict.fromkeys(paths, "Transition Report (revised)")
    assert Facility.objects.get(pk=old.pk).version > versions[old.pk]
    assert Facility.objects.get(pk=new.pk).version > versions[new.pk]
    assert Facility.objects.get(pk=unrelated.pk).version == versions[unrelated.pk]


def test_the_source_detail_lists_both_ends_and_follows_the_link(api, tokamaks):
    old, new = tokamaks
    SourceFactory(slug="transition-report", name="Transition Report")
    path = "/api/v1/sources/transition-report/"

    def citing():
        return slugs(api.get(path).json()["cited_by"]["facilities"])

    assert citing() == []
    succeed(old, new, sources=[citation("transition-report", "p. 7")])
    assert sorted(citing()) == ["new-tokamak", "old-tokamak"]
    # The successor's own writes keep its citation of the predecessor's link.
    update(Facility.objects.get(pk=new.pk), name="New Tokamak SA")
    assert sorted(citing()) == ["new-tokamak", "old-tokamak"]
    # The link moved to another successor: the new one cites the source, the former not
    # (the predecessor cites it throughout: the other ends alone change the detail).
    newest = FacilityFactory(slug="newest", name="Newest")
    succeed(Facility.objects.get(pk=old.pk), newest, sources=[citation("transition-report")])
    assert sorted(citing()) == ["newest", "old-tokamak"]
    # Reverting the predecessor to before the citation takes both ends out of the detail.
    before = Facility.history.filter(id=old.pk).order_by("history_id")[1]  # the first link
    services.record_revert(record=Facility.objects.get(pk=old.pk), version=before)
    assert citing() == []
    assert [link.successor for link in FacilitySuccession.objects.filter(predecessor=old)] == [
        Facility.objects.get(pk=new.pk)
    ]


def test_deleting_the_predecessor_takes_its_citations_out_of_the_successors_index(api, tokamaks):
    old, new = tokamaks
    SourceFactory(slug="transition-report", name="Transition Report")
    succeed(old, new, sources=[citation("transition-report", "p. 7")])
    index = Citation.objects.filter(source__slug="transition-report")
    assert set(index.values_list("facility_id", flat=True)) == {old.pk, new.pk}
    delete(Facility.objects.get(pk=old.pk))
    assert not index.exists()
    cited_by = api.get("/api/v1/sources/transition-report/").json()["cited_by"]
    assert cited_by["facilities"] == []
    # The successor still cites the test source with its own citations.
    assert Citation.objects.filter(facility=new, source__slug="test-source").exists()
    # Restoring the predecessor brings its link, and both ends' index rows, back.
    services.record_restore(model=Facility, record_id=old.pk)
    assert set(index.values_list("facility_id", flat=True)) == {old.pk, new.pk}


def test_rebuilding_the_index_counts_succession_citations_on_both_ends(tokamaks):
    from directory.services import citations, feed

    old, new = tokamaks
    SourceFactory(slug="transition-report", name="Transition Report")
    succeed(old, new, sources=[citation("transition-report", "p. 7")])
    index = Citation.objects.filter(source__slug="transition-report")
    with direct_writes():  # an index written before it counted successions
        index.delete()
    with feed.batch():
        assert citations.rebuild([Facility]) == 2
        assert citations.rebuild([Facility]) == 0
    assert set(index.values_list("facility_id", flat=True)) == {old.pk, new.pk}


# --- the write API: the rules, as 400s naming the field ----------------------------------------


def facility_body(**overrides):
    body = {
        "slug": "ring",
        "name": "Ring",
        "kind": "synchrotron",
        "status": "operational",
        "country": "JP",
        "sources": [CITATION],
        "is_published": True,
    }
    body.update(overrides)
    return body


def test_the_write_api_writes_successions_on_the_predecessor(editor, api):
    FacilityFactory(slug="ring-ii", name="Ring II")
    body = facility_body(
        status="closed",
        first_operation_year=1990,
        closed_on="2001-03-31",
        closed_on_precision="month",
        successors=[
            {
                "successor": "ring-ii",
                "type": "upgraded_into",
                "date": "2001-04-01",
                "date_precision": "month",
                "note": "Rebuilt",
                "sources": [CITATION],
            }
        ],
    )
    response = editor.post("/api/v1/facilities/", body, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.json()
    shown = api.get("/api/v1/facilities/ring-ii/").json()["predecessors"]
    assert shown[0]["slug"] == "ring" and shown[0]["type"] == "upgraded_into"
    assert shown[0]["date"] == "2001-04-01" and shown[0]["date_precision"] == "month"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"closed_on": "2001-01-01"}, "closed_on", "Only a closed facility has a closing date"),
        (
            {"status": "closed", "first_operation_year": 2010, "closed_on": "2001-01-01"},
            "closed_on",
            "cannot close before",
        ),
        ({"successors": [{"successor": "ring", "type": "succeeded_by"}]}, "successors", "itself"),
        (
            {"successors": [{"successor": "ring-ii", "type": "merged_into"}]},
            "successors",
            "merged_into",
        ),
        (
            {
                "successors": [
                    {"successor": "ring-ii", "type": "succeeded_by"},
                    {"successor": "ring-ii", "type": "replaced_by"},
                ]
            },
            "successors",
            "twice",
        ),
        (
            {"successors": [{"successor": "ring-ii", "type": "succeeded_by", "sources": [{}]}]},
            "successors",
            "source",
        ),
        (
            {"successors": [{"successor": "nowhere", "type": "succeeded_by"}]},
            "successors",
            "nowhere",
        ),
        (
            {
                "successors": [
                    {
                        "successor": "ring-ii",
                        "type": "succeeded_by",
                        "sources": [{"source": "no-such-report", "locator": "p. 1"}],
                    }
                ]
            },
            "successors",
            "ring-ii: sources: Source 1 cites no-such-report, which is not a source record.",
        ),
    ],
)
def test_the_rules_are_400s_naming_the_field(editor, overrides, field, message):
    FacilityFactory(slug="ring", name="Ring")
    FacilityFactory(slug="ring-ii", name="Ring II")
    etag = editor.get("/api/v1/facilities/ring/")["ETag"]
    response = editor.patch(
        "/api/v1/facilities/ring/", overrides, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.json()
    assert message in str(response.json()[field]), response.json()


def test_a_cycle_is_refused(editor):
    first, second, third = (FacilityFactory(slug=f"ring-{n}") for n in range(3))
    succeed(first, second)
    succeed(second, third)
    etag = editor.get("/api/v1/facilities/ring-2/")["ETag"]
    response = editor.patch(
        "/api/v1/facilities/ring-2/",
        {"successors": [{"successor": "ring-0", "type": "succeeded_by"}]},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "cycle" in str(response.json()["successors"])
    assert not FacilitySuccession.objects.filter(predecessor=third).exists()


def test_the_database_refuses_a_self_succession_and_a_duplicate_pair():
    from django.db import IntegrityError, transaction

    from tests.factories import direct_writes

    ring = FacilityFactory()
    other = FacilityFactory()
    with direct_writes():
        with pytest.raises(IntegrityError), transaction.atomic():
            FacilitySuccession.objects.create(predecessor=ring, successor=ring, type="replaced_by")
        FacilitySuccession.objects.create(predecessor=ring, successor=other, type="replaced_by")
        with pytest.raises(IntegrityError), transaction.atomic():
            FacilitySuccession.objects.create(
                predecessor=ring, successor=other, type="upgraded_into"
            )


def test_a_successor_cannot_be_deleted_while_a_predecessor_names_it(editor, tokamaks):
    etag = editor.get("/api/v1/facilities/new-tokamak/")["ETag"]
    response = editor.delete("/api/v1/facilities/new-tokamak/", HTTP_IF_MATCH=etag)
    assert response.status_code == HTTPStatus.CONFLICT
    assert "old-tokamak" in str(response.json()) or "Old Tokamak" in str(response.json())


# --- history, revert, restore, feed -----------------------------------------------------------


def test_history_entries_record_successions_and_revert_brings_them_back(tokamaks):
    old, new = tokamaks
    newest = FacilityFactory(slug="newest")
    before = old.history.latest()
    assert {(row.successor_id, row.type) for row in before.successors.all()} == {
        (new.pk, "succeeded_by")
    }
    succeed(old, newest, kind="replaced_by")
    entry = old.history.latest()
    assert {(row.successor_id, row.type) for row in entry.successors.all()} == {
        (newest.pk, "replaced_by")
    }
    changes = entry.diff_against(before).changed_fields
    assert "successors" in changes
    services.record_revert(record=Facility.objects.get(pk=old.pk), version=before)
    links = FacilitySuccession.objects.filter(predecessor=old)
    assert [(link.successor_id, link.note) for link in links] == [(new.pk, "Built after it")]


def test_restoring_a_deleted_predecessor_brings_its_successions_back(api, tokamaks):
    old, new = tokamaks
    delete(old)
    assert api.get("/api/v1/facilities/new-tokamak/").json()["predecessors"] == []
    services.record_restore(model=Facility, record_id=old.pk)
    (link,) = FacilitySuccession.objects.filter(predecessor_id=old.pk)
    assert (link.successor_id, link.date, link.sources) == (
        new.pk,
        datetime.date(2008, 1, 1),
        [CITATION],
    )
    assert slugs(api.get("/api/v1/facilities/new-tokamak/").json()["predecessors"]) == [
        "old-tokamak"
    ]


def test_the_feed_carries_the_successions_as_the_detail_shows_them(api, tokamaks):
    entry = FeedEntry.objects.filter(slug="old-tokamak").latest("id")
    assert entry.data["closed_on"] == "2008-12-31"
    assert entry.data["successors"] == [
        {
            "slug": "new-tokamak",
            "type": "succeeded_by",
            "date": "2008-01-01",
            "date_precision": "year",
            "note": "Built after it",
            "note_ja": "その後に建設",
            "sources": [CITATION],
        }
    ]
    event = ChangeEvent.objects.filter(slug="old-tokamak").latest("id")
    assert event.reason == "Successions"


# --- the admin ------------------------------------------------------------------------------


def admin_page(client, record):
    url = reverse(f"admin:directory_{record._meta.model_name}_change", args=[record.pk])
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    return url, page


def test_the_admin_shows_successions_both_ways(admin_client, tokamaks):
    old, new = tokamaks
    _url, page = admin_page(admin_client, new)
    text = page_text(page)
    assert "Old Tokamak" in text and "predecessors" in text.lower()
    _url, page = admin_page(admin_client, old)
    assert "New Tokamak" in page_text(page)


def test_an_admin_inline_adds_a_successor_through_the_service(admin_client, admin_user):
    nirs = InstitutionFactory(slug="old-institute", name="Old Institute")
    qst = InstitutionFactory(slug="new-institutes", name="New Institutes")
    url, page = admin_page(admin_client, nirs)
    data = form_data(page)
    data.update(
        {
            "successor_links-TOTAL_FORMS": ["1"],
            "successor_links-0-successor": [str(qst.pk)],
            "successor_links-0-type": ["merged_into"],
            "successor_links-0-date": ["2016-04-01"],
            "successor_links-0-date_precision": ["year"],
            "successor_links-0-note": ["Merged"],
            "successor_links-0-sources": ['[{"source": "test-source", "locator": "p. 1"}]'],
            "_save": ["Save"],
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    (link,) = Institution.objects.get(pk=nirs.pk).successor_links.all()
    assert (link.successor_id, link.type, link.date) == (
        qst.pk,
        "merged_into",
        datetime.date(2016, 1, 1),
    )
    entry = Institution.history.filter(id=nirs.pk).latest()
    assert entry.history_user == admin_user and "admin" in entry.history_change_reason
    assert [row.successor_id for row in entry.successors.all()] == [qst.pk]
    _url, page = admin_page(admin_client, qst)
    assert "Old Institute" in page_text(page)


@pytest.mark.parametrize("case", ["itself", "cycle"])
def test_the_admin_inline_explains_a_refused_succession(admin_client, case):
    first = ProgrammeFactory(slug="first-programme", name="First")
    second = ProgrammeFactory(slug="second-programme", name="Second")
    succeed(first, second)
    target = second if case == "itself" else first
    url, page = admin_page(admin_client, second)
    data = form_data(page)
    data.update(
        {
            "successor_links-TOTAL_FORMS": ["1"],
            "successor_links-0-successor": [str(target.pk)],
            "successor_links-0-type": ["succeeded_by"],
            "successor_links-0-date_precision": ["year"],
            "successor_links-0-sources": ["[]"],
            "_save": ["Save"],
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK  # shown again, not saved
    text = page_text(response)
    assert ("cannot succeed itself" in text) if case == "itself" else ("cycle" in text), text[:3000]
    assert not Programme.objects.get(pk=second.pk).successor_links.exists()


def test_the_history_page_shows_a_succession_with_its_type(admin_client, tokamaks):
    old, _new = tokamaks
    url = reverse("admin:directory_facility_history", args=[old.pk])
    text = page_text(admin_client.get(url))
    assert "New Tokamak (Succeeded by, 2008-01-01)" in text


# --- export and import ---------------------------------------------------------------------------


def test_export_import_round_trip_keeps_successions(tokamaks):
    # A predecessor whose slug sorts before its successor's: the document lists it first.
    early, late = FacilityFactory(slug="aa-early"), FacilityFactory(slug="zz-late")
    succeed(early, late, kind="replaced_by")
    document = io.StringIO()
    counts = export_directory(document)
    assert counts["directory.facilitysuccession"] == 2
    exported = document.getvalue()
    # Import into an emptied directory: each successor is written before its predecessor.
    old, new = tokamaks
    for record in (old, new, early, late):
        delete(record)
    result = import_directory(io.StringIO(exported))
    assert result["directory.facilitysuccession"]["created"] == 2
    links = FacilitySuccession.objects.order_by("predecessor__slug")
    assert [(link.predecessor.slug, link.successor.slug, link.note) for link in links] == [
        ("aa-early", "zz-late", ""),
        ("old-tokamak", "new-tokamak", "Built after it"),
    ]
    again = import_directory(io.StringIO(exported))
    assert again["directory.facilitysuccession"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert again["directory.facility"]["updated"] == 0


# --- the seed data --------------------------------------------------------------------------------


def test_the_seeded_successions_through_the_seed_path(api, seed_data):
    jt60 = api.get("/api/v1/facilities/jt-60/").json()
    assert (jt60["status"], jt60["closed_on"], jt60["closed_on_precision"]) == (
        "closed",
        "2008-12-31",
        "year",
    )
    (successor,) = jt60["successors"]
    assert (successor["slug"], successor["type"]) == ("jt-60sa", "succeeded_by")
    cited = successor["sources"][0]
    assert cited["source"]["slug"] == "jst-qst-koyasu-interview-2023"
    assert cited["source"]["title"].startswith("Attracting international talent")
    assert cited["source"]["publisher"] == "Japan Science and Technology Agency (JST)"
    assert cited["source"]["date"] == "2023-10-23"
    assert cited["locator"] == "line 41" and "JT-60" in cited["passage"]
    (predecessor,) = api.get("/api/v1/facilities/jt-60sa/").json()["predecessors"]
    assert predecessor["slug"] == "jt-60" and predecessor["sources"] == successor["sources"]
    arim = api.get("/api/v1/programmes/arim/").json()
    assert slugs(arim["predecessors"]) == ["nanotechnology-platform"]
    assert arim["predecessors"][0]["date"] is None  # the report gives two different years
    qst = api.get("/api/v1/institutions/qst/").json()
    assert {(item["slug"], item["type"], item["date"]) for item in qst["predecessors"]} == {
        ("nirs", "merged_into", "2016-01-01"),
        ("jaea", "part_moved_to", "2016-01-01"),
    }
    found = api.get("/api/v1/institutions/?successor_of=nirs,jaea").json()["results"]
    assert slugs(found) == ["qst"]
    found = api.get("/api/v1/programmes/?predecessor_of=arim").json()["results"]
    assert slugs(found) == ["nanotechnology-platform"]
    # Seeding again changes nothing; the seed entry of JT-60 names its file and sources.
    from django.core.management import call_command

    before = FacilitySuccession.objects.count()  # JT-60 → JT-60SA, EAST → CFETR
    call_command("seed_directory", verbosity=0)
    assert FacilitySuccession.objects.count() == before == 2
    entry = Facility.history.filter(slug="jt-60").earliest()
    assert entry.history_change_reason.startswith("Seeded from fixtures/facilities.json")
    assert [row.successor.slug for row in entry.successors.all()] == ["jt-60sa"]


def test_the_seeded_successions_cite_public_sources_and_no_file(api, seed_data):
    """Every seeded succession's citations are shown on both its ends as source records,
    through the citation index, and no answer names a seed file."""
    seen = 0
    for through, resource in (
        (FacilitySuccession, "facilities"),
        (ProgrammeSuccession, "programmes"),
        (InstitutionSuccession, "institutions"),
    ):
        column = through._meta.get_field("predecessor").related_model._meta.model_name
        for link in through.objects.select_related("predecessor", "successor"):
            stored = [(item["source"], item["locator"]) for item in link.sources]
            assert stored, link
            for end, relation, other in (
                (link.predecessor, "successors", link.successor),
                (link.successor, "predecessors", link.predecessor),
            ):
                response = api.get(f"/api/v1/{resource}/{end.slug}/")
                assert b"seeds/" not in response.content and b".txt" not in response.content
                (brief,) = [
                    item for item in response.json()[relation] if item["slug"] == other.slug
                ]
                shown = [(item["source"]["slug"], item["locator"]) for item in brief["sources"]]
                assert shown == stored, (end.slug, relation)
                assert all(item["source"]["title"] for item in brief["sources"])
                cited = Citation.objects.filter(**{column: end}).values_list("source__slug")
                assert {slug for slug, _locator in stored} <= {slug for (slug,) in cited}
                seen += 1
    assert seen >= 10  # JT-60 → JT-60SA, NIRS → QST, … on both ends


def test_the_admin_import_and_export_carry_successors_as_slug_and_type(admin_client, tokamaks):
    old, _new = tokamaks
    resource = FacilityResource()
    exported = resource.export(queryset=Facility.objects.filter(slug="old-tokamak")).dict[0]
    assert exported["successors"] == "new-tokamak:succeeded_by"
    columns = ["slug", "name", "kind", "status", "country", "successors"]
    row = {
        "slug": "old-tokamak",
        "name": "Old Tokamak",
        "kind": old.kind,
        "status": "closed",
        "country": "JP",
        "successors": "new-tokamak:upgraded_into",
    }
    import_file(admin_client, as_csv([row], columns))
    (link,) = FacilitySuccession.objects.filter(predecessor=old)
    # the type comes from the cell; the date, note and citations stay with the successor
    assert (link.type, link.note, link.sources) == ("upgraded_into", "Built after it", [CITATION])
    entry = Facility.history.filter(id=old.pk).latest()
    assert "Imported" in entry.history_change_reason
    bad = {**row, "successors": "new-tokamak:merged_into"}
    page = preview(admin_client, as_csv([bad], columns))
    assert "merged_into" in page_text(page)


def test_seeding_writes_a_successor_before_its_predecessor(tmp_path, monkeypatch):
    """A seed file may list a predecessor first: it is created after its successor, with the
    succession in its creation entry."""
    import json

    from directory.services import seeding

    cited_source()

    def facility(slug):
        return {
            "model": "directory.facility",
            "fields": {
                "slug": slug,
                "name": slug.upper(),
                "kind": "fusion",
                "status": "operational",
                "country": "JP",
                "is_published": True,
                "sources": [CITATION],
            },
        }

    rows = [
        facility("aa-first"),
        facility("bb-second"),
        facility("cc-third"),
        {
            "model": "directory.facilitysuccession",
            "fields": {
                "predecessor": ["aa-first"],
                "successor": ["bb-second"],
                "type": "succeeded_by",
                "sources": [CITATION],
            },
        },
        {
            "model": "directory.facilitysuccession",
            "fields": {
                "predecessor": ["bb-second"],
                "successor": ["cc-third"],
                "type": "upgraded_into",
                "date": "2020-06-01",
            },
        },
    ]
    (tmp_path / "lines.json").write_text(json.dumps(rows), encoding="utf-8")
    monkeypatch.setattr(seeding, "fixture_dir", lambda: tmp_path)
    report = seeding.directory_seed(names=("lines",))
    assert report.created == [
        "directory.facility cc-third",
        "directory.facility bb-second",
        "directory.facility aa-first",
    ]
    assert not report.notes
    links = FacilitySuccession.objects.order_by("predecessor__slug")
    assert [(link.predecessor.slug, link.successor.slug, link.date) for link in links] == [
        ("aa-first", "bb-second", None),
        ("bb-second", "cc-third", datetime.date(2020, 1, 1)),
    ]
    entry = Facility.history.get(slug="aa-first")
    assert [row.successor.slug for row in entry.successors.all()] == ["bb-second"]
