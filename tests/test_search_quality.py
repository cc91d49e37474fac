"""Search quality on the seed data: hit@1 and MRR of tests/search_cases.yaml through the API.

Each case names the record that should come first for a query (English, Japanese, mixed
scripts, typos, places). The thresholds sit just under what the search reaches, on SQLite
and PostgreSQL alike (README, "Search ranking"); a change that makes search worse fails here.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

import pytest
import yaml

from directory.selectors import MAX_NAMES_COUNTED, SCORE_PER_NAME

pytestmark = pytest.mark.django_db

CASES = yaml.safe_load((Path(__file__).with_name("search_cases.yaml")).read_text())["cases"]

#: What the search reaches on the evaluation set (both databases), rounded down.
MIN_HIT_AT_1 = 0.94
MIN_MRR = 0.95


def rank_of(api, case) -> int | None:
    """The 1-based position of the expected record in the first page of answers, or None."""
    resource = case.get("resource")
    url = f"/api/v1/{resource}/" if resource else "/api/v1/search/"
    response = api.get(url, {"q": case["query"], "limit": 20})
    assert response.status_code == HTTPStatus.OK, (case, response.content)
    results = response.json()["results"]
    # Lists and the cross-kind search alike: every result has its score, best first.
    scores = [row["score"] for row in results]
    assert scores == sorted(scores, reverse=True), (case, scores)
    assert all(0 < score <= 1 + SCORE_PER_NAME * MAX_NAMES_COUNTED for score in scores), scores
    for position, row in enumerate(results, start=1):
        kind = row.get("kind", case["kind"])
        if (kind, row["slug"]) == (case["kind"], case["slug"]):
            return position
    return None


def evaluate(api) -> tuple[float, float, list]:
    """(hit@1, MRR, the cases whose record did not come first, with its rank)."""
    ranks = [(case, rank_of(api, case)) for case in CASES]
    hits = sum(1 for _, rank in ranks if rank == 1)
    reciprocal = sum(1 / rank for _, rank in ranks if rank)
    misses = [(case["query"], case["slug"], rank) for case, rank in ranks if rank != 1]
    return hits / len(ranks), reciprocal / len(ranks), misses


def test_the_evaluation_set_is_large_and_varied():
    assert len(CASES) >= 60
    groups = {case["group"] for case in CASES}
    assert groups == {"name", "japanese", "mixed", "typo", "place"}


def test_search_quality_on_the_seed_data(api, seed_data):
    hit_at_1, mrr, misses = evaluate(api)
    print(f"\nsearch quality: hit@1 {hit_at_1:.3f}, MRR {mrr:.3f}; misses: {misses}")
    assert hit_at_1 >= MIN_HIT_AT_1, misses
    assert mrr >= MIN_MRR, misses
