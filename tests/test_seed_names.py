"""Names searchers reported finding nothing for ("Searching 'Photon Factory' finds nothing"),
found in the directory as `make run` seeds it: by the q= search of their own list and by
the cross-kind search."""

from __future__ import annotations

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/"
RESOURCES = {
    "facility": "facilities",
    "programme": "programmes",
    "institution": "institutions",
    "agreement": "agreements",
}

#: What a searcher types -> (kind, slug) of the record it must find.
NAMES = [
    ("Photon Factory", "facility", "photon-factory"),
    ("KEK Photon Factory", "facility", "photon-factory"),
    ("Materials DX Platform", "programme", "materials-dx-platform"),
    ("KAKENHI", "programme", "kakenhi"),
    ("Broader Approach", "programme", "broader-approach"),
    ("Marie Skłodowska-Curie Actions", "programme", "marie-sklodowska-curie-actions"),
    ("Marie Sklodowska-Curie Actions", "programme", "marie-sklodowska-curie-actions"),
    ("EIC", "programme", "european-innovation-council"),
    ("EIC", "institution", "eic"),
    ("Horizon 2020", "programme", "horizon-2020"),
    ("National Nanotechnology Initiative", "programme", "national-nanotechnology-initiative"),
    ("National Quantum Initiative", "programme", "national-quantum-initiative"),
    ("CHIPS", "programme", "chips-and-science-act"),
    ("NEDO Post-5G", "programme", "nedo-post-5g"),
    ("Nanoscale Science Research Centers", "facility", "doe-nanoscale-science-research-centers"),
    ("imec", "institution", "imec"),
    ("imec", "facility", "imec-prototype-lines"),
    ("MINATEC", "facility", "minatec"),
    ("Albany NanoTech", "facility", "albany-nanotech-complex"),
    ("NICT", "institution", "nict"),
    ("Institute for Molecular Science", "institution", "institute-for-molecular-science"),
    ("Kanazawa University", "institution", "kanazawa-university"),
    ("CNRS", "institution", "cnrs"),
    ("Max Planck", "institution", "max-planck-society"),
    ("Helmholtz", "institution", "helmholtz-association"),
    ("IAEA", "institution", "iaea"),
    ("ITER Agreement", "agreement", "iter-agreement"),
]


def test_every_reported_name_is_found_by_its_list_and_the_cross_kind_search(seed_data, api):
    misses = []
    for query, kind, slug in NAMES:
        listed = api.get(f"/api/v1/{RESOURCES[kind]}/", {"q": query, "limit": 200})
        assert listed.status_code == HTTPStatus.OK, (query, listed.content)
        if slug not in [row["slug"] for row in listed.json()["results"]]:
            misses.append(f"/api/v1/{RESOURCES[kind]}/?q={query} lacks {slug}")
        found = api.get(SEARCH, {"q": query, "limit": 200})
        assert found.status_code == HTTPStatus.OK, (query, found.content)
        if (kind, slug) not in {(hit["kind"], hit["slug"]) for hit in found.json()["results"]}:
            misses.append(f"{SEARCH}?q={query} lacks {kind} {slug}")
    assert misses == []


def test_the_photon_factory_is_found_flagged_with_its_flagged_operator(seed_data, api):
    (row,) = api.get("/api/v1/facilities/", {"q": "Photon Factory"}).json()["results"]
    assert row["slug"] == "photon-factory"
    hit = api.get(SEARCH, {"q": "Photon Factory"}).json()["results"][0]
    assert (hit["kind"], hit["slug"]) == ("facility", "photon-factory")

    facility = api.get(hit["url"]).json()
    assert facility["needs_review"] is True and facility["last_verified_on"] is None
    assert "general knowledge" in facility["review_note"]
    assert (facility["name"], facility["acronym"], facility["name_ja"]) == (
        "Photon Factory",
        "PF",
        "",
    )
    assert (facility["kind"], facility["country"], facility["city"]) == (
        "synchrotron",
        "JP",
        "Tsukuba",
    )
    # No figure that no source gives.
    assert facility["energy_gev"] is None and facility["latitude"] is None
    # It cites KEK's website, a source that says it stands for general knowledge.
    (cited,) = facility["sources"]
    assert cited["source"]["slug"] == "website-kek-jp"
    assert cited["source"]["url"] == "https://www.kek.jp/"
    source = api.get(cited["source"]["api_url"]).json()
    assert source["needs_review"] is True
    assert "general knowledge" in source["reliability_note"]
    assert "general knowledge" in source["review_note"]

    (operator,) = facility["institutions"]  # one entry per institution, with its roles
    (role,) = operator["roles"]
    assert (operator["slug"], role["role"], role["needs_review"]) == ("kek", "operator", True)
    assert "general knowledge" in role["note"]
    kek = api.get("/api/v1/institutions/kek/").json()
    (link,) = [item for item in kek["facilities"] if item["slug"] == "photon-factory"]
    (kek_role,) = link["roles"]
    assert (kek_role["role"], kek_role["needs_review"], kek_role["note"]) == (
        "operator",
        True,
        role["note"],
    )
    assert kek["needs_review"] is True
    assert "photon-factory" in kek["review_note"]
