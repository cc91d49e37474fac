"""Replaying the public changes feed from the beginning rebuilds the public directory exactly.

After a random sequence of creates, edits (fields, relations, slugs), publishes,
unpublishes, deletes and restores of every kind of record — through the write services,
as the admin, the API and the importers make them — the feed's entries, applied in order,
give exactly the records the list endpoints list, and for each one the same field values
as its detail shows (relations as the slugs of the related records the detail lists).
CI runs it on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from directory import services
from directory.choices import (
    FacilityRoleKind,
    InstitutionSuccessionType,
    ProgrammeRoleKind,
    SuccessionType,
)
from directory.models import (
    Agreement,
    Call,
    ChangeEvent,
    Facility,
    FeedEntry,
    Institution,
    Programme,
    ResearchField,
    Source,
    Technique,
)
from tests.factories import (
    AccessModeFactory,
    AgreementFactory,
    CallFactory,
    FacilityFactory,
    InstitutionFactory,
    ProgrammeFactory,
    ResearchFieldFactory,
    SourceFactory,
    TechniqueFactory,
    citation,
    country,
)

pytestmark = pytest.mark.django_db

RESOURCES = {
    "facility": "facilities",
    "programme": "programmes",
    "call": "calls",
    "institution": "institutions",
    "agreement": "agreements",
    "technique": "techniques",
    "field": "fields",
    "source": "sources",
}
FACTORIES = {
    Facility: FacilityFactory,
    Programme: ProgrammeFactory,
    Institution: InstitutionFactory,
    Agreement: AgreementFactory,
    Technique: TechniqueFactory,
    ResearchField: ResearchFieldFactory,
    Source: SourceFactory,
}
#: The kinds the scenario creates, edits and deletes (all but agreements are published and
#: unpublished too).
KINDS = [Facility, Programme, Institution, Call, Agreement, Technique, Source]


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    """The test's writes never commit, so the response cache would not learn of them."""
    settings.RESPONSE_CACHE_SECONDS = 0


class Scenario:
    """Random writes of every kind, through the services."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.counter = 0
        self.deleted: list[tuple[type, int]] = []

    def pick(self, model, **filters):
        records = list(model._base_manager.filter(**filters).order_by("pk"))
        return self.rng.choice(records) if records else None

    def sample(self, model, most=3):
        records = list(model._base_manager.order_by("pk"))
        return self.rng.sample(records, self.rng.randint(0, min(most, len(records))))

    def published(self) -> bool:
        return self.rng.random() < 0.75

    def create(self):
        self.counter += 1
        n = self.counter
        model = self.rng.choice(KINDS)
        if model is Call:
            programme = self.pick(Programme)
            if programme is None:
                return
            CallFactory(
                slug=f"call-{n}",
                programme=programme,
                is_published=self.published(),
                closes_at=timezone.now() + datetime.timedelta(days=self.rng.randint(-5, 90)),
            )
            return
        record = FACTORIES[model](
            slug=f"{model._meta.model_name}-{n}", is_published=self.published()
        )
        self.relink(record)

    def successors(self, record, kinds):
        """Some records of its kind as its successors: only ones made before it (by id), so
        the scenario never attempts a cycle (the services would refuse it)."""
        earlier = list(type(record)._base_manager.filter(pk__lt=record.pk).order_by("pk"))
        chosen = self.rng.sample(earlier, self.rng.randint(0, min(2, len(earlier))))
        return [
            services.SuccessionLink(
                successor,
                self.rng.choice(kinds),
                date=self.rng.choice([None, datetime.date(2000 + self.counter % 20, 4, 1)]),
                date_precision=self.rng.choice(["day", "month", "year"]),
                note=self.rng.choice(["", f"note {self.counter}"]),
                sources=self.rng.choice([[], [citation(locator="p. 2")]]),
            )
            for successor in chosen
        ]

    def relink(self, record):
        relations = {}
        if isinstance(record, Facility):
            roles = [
                services.RoleLink(institution, self.rng.choice(FacilityRoleKind.values))
                for institution in self.sample(Institution, 2)
            ]
            relations = {
                "institutions": roles,
                "techniques": self.sample(Technique),
                "fields": self.sample(ResearchField),
                "successors": self.successors(record, SuccessionType.values),
            }
        elif isinstance(record, Programme):
            relations = {
                "institutions": [
                    services.RoleLink(institution, self.rng.choice(ProgrammeRoleKind.values))
                    for institution in self.sample(Institution, 2)
                ],
                "facilities": self.sample(Facility),
                "fields": self.sample(ResearchField, 2),
                "countries": [country(code) for code in self.rng.sample(["JP", "GB", "DE"], 2)],
                "successors": self.successors(record, SuccessionType.values),
            }
        elif isinstance(record, Institution):
            relations = {
                "successors": self.successors(record, InstitutionSuccessionType.values),
            }
        elif isinstance(record, Agreement):
            relations = {
                "institutions": self.sample(Institution, 2),
                "facilities": self.sample(Facility, 2),
            }
        if relations:
            services.record_update(record=record, relations=relations, reason="relink")

    def cite(self, record):
        """Cite a source of the scenario, public or a draft (the draft is left out of what the
        public sees of the record, and publishing it changes that)."""
        source = self.pick(Source, slug__startswith="source-")
        if source is not None:
            services.record_update(
                record=record, fields={"sources": [citation(source.slug, locator="p. 3")]}
            )

    def edit(self):
        model = self.rng.choice(KINDS)
        record = self.pick(model)
        if record is None:
            return
        choice = self.rng.random()
        if choice < 0.3:
            self.relink(record)
        elif choice < 0.35 and not isinstance(record, Source):
            self.cite(record)
        elif choice < 0.4:
            if isinstance(record, Source) and record.citations.exists():
                return  # its citations name it by slug: a new slug would leave them dangling
            self.counter += 1
            services.record_update(record=record, fields={"slug": f"{record.slug}-r{self.counter}"})
        elif choice < 0.5 and isinstance(record, Institution):
            parent = self.pick(Institution, parent__isnull=True)
            if parent is not None and parent.pk != record.pk and not record.children.exists():
                services.record_update(record=record, fields={"parent": parent})
        elif choice < 0.6 and isinstance(record, Source):
            services.record_update(
                record=record,
                fields={
                    "publisher": f"Publisher {self.counter}",
                    "url": f"https://example.org/{self.counter}",
                    "published_on": datetime.date(2001 + self.counter % 20, 3, 1),
                    "published_on_precision": self.rng.choice(["day", "month", "year"]),
                },
            )
        elif choice < 0.6 and isinstance(record, Facility):
            services.record_update(
                record=record,
                fields={
                    "energy_gev": Decimal(self.rng.randint(1, 80)) / 10,
                    "latitude": self.rng.uniform(-60, 60),
                    "longitude": self.rng.uniform(-170, 170),
                },
            )
        else:
            services.record_update(
                record=record,
                fields={"name": f"{record.name} *", "name_ja": f"名称{self.counter}"},
            )

    def toggle(self):
        model = self.rng.choice([Facility, Programme, Institution, Call, Technique, Source])
        record = self.pick(model)
        if record is None:
            return
        if record.is_published:
            services.record_unpublish(record=record)
        else:
            services.record_publish(record=record)

    def delete(self):
        model = self.rng.choice(KINDS)
        record = self.pick(model)
        if record is None:
            return
        try:
            services.record_delete(record=record, reason="scenario")
        except services.RecordInUse:  # role links, child institutions, citations refer to it
            return
        self.deleted.append((model, record.pk))

    def restore(self):
        if not self.deleted:
            return
        model, pk = self.deleted.pop(self.rng.randrange(len(self.deleted)))
        if model._base_manager.filter(pk=pk).exists():
            return
        try:
            services.record_restore(model=model, record_id=pk)
        except services.ValidationError:
            return  # its slug was taken since, or what it belongs to is gone

    def run(self, steps: int):
        operations = [self.create] * 4 + [self.edit] * 4 + [self.toggle] * 2
        operations += [self.delete] * 2 + [self.restore]
        for _ in range(steps):
            self.rng.choice(operations)()


def replay(api) -> dict[tuple[str, str], dict]:
    state: dict[tuple[str, str], dict] = {}
    since = None
    while True:
        params = {"limit": 500, **({"since": since} if since else {})}
        body = api.get("/api/v1/changes/", params).json()
        for change in body["results"]:
            key = (change["kind"], change["slug"])
            if change["action"] == "deleted":
                assert key in state, f"deleted {key} that the feed never created"
                del state[key]
            else:
                assert (change["action"] == "created") == (key not in state), change
                state[key] = change["data"]
        since = body["cursor"]
        if not body["has_more"]:
            return state


def listed(api, resource: str) -> set[str]:
    slugs, offset = set(), 0
    while True:
        body = api.get(f"/api/v1/{resource}/", {"limit": 200, "offset": offset}).json()
        slugs |= {item["slug"] for item in body["results"]}
        offset += 200
        if body["next"] is None:
            return slugs


SUCCESSION_KEYS = ("slug", "type", "date", "date_precision", "note", "note_ja", "sources")


def shown(value, expected):
    """The detail's value in the feed's terms (related records by slug, roles with them)."""
    if isinstance(value, dict) and "slug" in value:  # a call's programme, a parent
        return value["slug"]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        if isinstance(value[0].get("source"), dict):  # citations: their source by slug
            return [{**item, "source": item["source"]["slug"]} for item in value]
        if "code" in value[0]:
            return sorted(item["code"] for item in value)
        if "type" in value[0]:  # successions: the link's own values, by successor
            return sorted(
                (
                    # citations too; a date's precision only beside a date, as in the feed
                    {key: shown(item[key], None) for key in SUCCESSION_KEYS if key in item}
                    for item in value
                ),
                key=lambda item: item["slug"],
            )
        if "roles" in value[0]:  # one entry per record with its roles; the feed: per link
            return sorted(
                (
                    {"slug": item["slug"], "role": role["role"]}
                    for item in value
                    for role in item["roles"]
                ),
                key=lambda item: (item["role"], item["slug"]),
            )
        if "slug" in value[0] and not (expected and isinstance(expected[0], dict)):
            return sorted(item["slug"] for item in value)
    return value


def assert_replay_matches_api(api) -> dict:
    """Replay the whole feed; it must list exactly what every list endpoint lists, with the
    values every detail shows. Returns the replayed state."""
    state = replay(api)

    for kind, resource in RESOURCES.items():
        replayed = {slug for (k, slug) in state if k == kind}
        assert replayed == listed(api, resource), kind
        for slug in replayed:
            detail = api.get(f"/api/v1/{resource}/{slug}/").json()
            data = state[(kind, slug)]
            for key, expected in data.items():
                assert shown(detail[key], expected) == expected, (kind, slug, key)
    # What the details show of the other side of each relation agrees with the replay too.
    for (kind, slug), data in state.items():
        if kind != "programme":
            continue
        for facility in data["facilities"]:
            detail = api.get(f"/api/v1/facilities/{facility}/").json()
            assert slug in {item["slug"] for item in detail["programmes"]}
    return state


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replaying_the_feed_gives_what_the_api_shows(api, seed):
    AccessModeFactory()
    for n in range(3):
        InstitutionFactory(slug=f"base-institution-{n}")
        TechniqueFactory(slug=f"base-technique-{n}")
        ResearchFieldFactory(slug=f"base-field-{n}")
    scenario = Scenario(seed)
    scenario.run(80)

    state = assert_replay_matches_api(api)
    # Successions were written and replayed too (of the public records that still have them).
    assert any(data.get("successors") for data in state.values())
    # Sources were among the random writes (each of their changes: the test below).
    assert FeedEntry.objects.filter(kind="source", slug__startswith="source-").exists()
    # The scenario exercised every kind of change (else it would prove little).
    events = set(ChangeEvent.objects.values_list("action", flat=True))
    assert {"created", "updated", "published", "unpublished", "deleted"} <= events
    assert set(FeedEntry.objects.values_list("action", flat=True)) == {
        "created",
        "updated",
        "deleted",
    }


def test_replaying_the_feed_of_every_change_of_a_source(api):
    """Each way a source changes, through the services, and what the records citing it
    show of it: the replayed feed matches the API after each step."""
    cited = SourceFactory(slug="report", name="Annual report", publisher="Agency")
    draft = SourceFactory(slug="memo", name="Internal memo", is_published=False)
    facility = FacilityFactory(slug="ring", sources=[citation("report"), citation("memo")])
    steps = [
        lambda: services.record_update(record=cited, fields={"name": "Annual report 2024"}),
        lambda: services.record_update(
            record=cited,
            fields={"published_on": datetime.date(2024, 3, 1), "published_on_precision": "month"},
        ),
        lambda: services.record_publish(record=draft),  # the ring now shows both citations
        lambda: services.record_unpublish(record=cited),  # … and then only the memo's
        lambda: services.record_update(record=facility, fields={"sources": [citation("memo")]}),
        lambda: services.record_update(record=cited, fields={"slug": "report-2024"}),
        lambda: services.record_publish(record=cited),
        lambda: services.record_delete(record=cited),
    ]
    for step in steps:
        step()
        state = assert_replay_matches_api(api)
    assert ("source", "memo") in state and ("source", "report-2024") not in state
    assert [item["source"] for item in state[("facility", "ring")]["sources"]] == ["memo"]
    entries = FeedEntry.objects.filter(kind="source").exclude(slug="test-source")
    assert list(entries.order_by("id").values_list("slug", "action")) == [
        ("report", "created"),
        ("report", "updated"),
        ("report", "updated"),
        ("memo", "created"),
        ("report", "deleted"),
        ("report-2024", "created"),
        ("report-2024", "deleted"),
    ]


def public_seed_records() -> int:
    """The public records of the eight kinds in fixtures/ (counted there, not typed here:
    the seed data grows)."""
    models = {
        "directory.facility",
        "directory.programme",
        "directory.call",
        "directory.institution",
        "directory.agreement",
        "directory.technique",
        "directory.researchfield",
        "directory.source",
    }
    count = 0
    for path in (Path(__file__).resolve().parent.parent / "fixtures").glob("*.json"):
        for obj in json.loads(path.read_text(encoding="utf-8")):
            count += obj["model"] in models and obj["fields"].get("is_published", True)
    return count


def test_replaying_the_feed_of_the_seeded_directory(api, seed_data):
    """The directory `make run` seeds: every public seed record is in the feed, as the API
    shows it, and a curator's edits and deletions after it too."""
    state = assert_replay_matches_api(api)
    assert len(state) == public_seed_records()  # every public seed record of the eight kinds
    assert state[("source", "website-jasri-jp")]["source_url"] == "https://www.jasri.jp/"
    assert [item["slug"] for item in state[("facility", "jt-60")]["successors"]] == ["jt-60sa"]
    services.record_update(record=Facility.objects.get(slug="spring-8"), fields={"city": "Sayo"})
    services.record_unpublish(record=Institution.objects.get(slug="riken"))
    services.record_delete(record=Facility.objects.get(slug="isis"))
    # A source made a draft leaves the feed, and the records citing it lose that citation.
    services.record_unpublish(record=Source.objects.get(slug="website-jasri-jp"))
    state = assert_replay_matches_api(api)
    assert state[("facility", "spring-8")]["city"] == "Sayo"
    assert ("institution", "riken") not in state and ("facility", "isis") not in state
    assert ("source", "website-jasri-jp") not in state
    cited = [item["source"] for item in state[("institution", "jasri")]["sources"]]
    assert cited == ["website-spring8-or-jp"]
