"""Matching quality on generated staff lists: precision and recall held above measured floors.

Measured (transfers/staff_lists.py, this matcher): at 150 staff over seeds 1-20, precision of
all proposals 0.977-1.000 (mean 0.990), recall 0.977-1.000 (mean 0.991), sure precision 1.000,
sure recall 0.77-0.90 (mean 0.83); at 1,500 staff over seeds 1-5, precision 0.948-0.96
(mean 0.955), recall 0.970-0.98 (mean 0.974), sure precision 1.000, sure recall 0.83-0.86.
The floors sit a little under those. Run ``pytest -s`` to see each seed's figures.
"""

from collections import Counter

import pytest

from bench.staff_lists import proposals_quality, staff_lists_generate
from provisioning.matching import CLASH, DOUBTFUL, NONE, SURE, matches_propose

FLOORS = {
    150: {"precision": 0.95, "recall": 0.95, "sure_precision": 0.99, "sure_recall": 0.70},
    1500: {"precision": 0.93, "recall": 0.95, "sure_precision": 0.99, "sure_recall": 0.80},
}


@pytest.mark.parametrize(
    ("size", "seed"), [(150, 1), (150, 2), (150, 3), (150, 4), (150, 5), (1500, 1), (1500, 2)]
)
def test_proposals_on_generated_staff_lists_stay_above_the_floors(size, seed):
    lists = staff_lists_generate(seed=seed, size=size)

    proposals = matches_propose(lists.accounts, lists.records)
    figures = proposals_quality(proposals, lists.truth)

    counts = Counter(p.confidence for p in proposals)
    print(
        f"\n{size} staff, seed {seed}: "
        + ", ".join(f"{name} {value:.3f}" for name, value in figures.items())
        + f"; sure {counts[SURE]}, doubtful {counts[DOUBTFUL]}, clash {counts[CLASH]}, "
        f"none {counts[NONE]}"
    )
    for name, floor in FLOORS[size].items():
        assert figures[name] >= floor, (name, figures[name])


def test_no_name_only_match_is_ever_sure_on_generated_lists():
    lists = staff_lists_generate(seed=11, size=1500)

    proposals = matches_propose(lists.accounts, lists.records)

    sure = [p for p in proposals if p.confidence == SURE]
    assert sure
    assert all({"dob_same", "email_same"} & set(p.reasons) for p in sure)
    assert not any("dob_differs" in p.reasons for p in sure)


def test_the_generated_lists_hold_the_hard_cases_and_repeat_per_seed():
    lists = staff_lists_generate(seed=4, size=1500)
    again = staff_lists_generate(seed=4, size=1500)

    assert lists == again
    assert lists != staff_lists_generate(seed=5, size=1500)
    movers = set(lists.truth)
    assert len(lists.accounts) - len(movers) > 100  # people who do not move
    assert len(lists.records) - len(movers) > 500  # new staff from elsewhere
    assert sum(a.date_of_birth is None for a in lists.accounts) > 50
    assert sum(r.date_of_birth is None for r in lists.records) > 50
    names = Counter((a.forename, a.surname) for a in lists.accounts)
    shared = {name for name, count in names.items() if count > 1}
    assert any(
        len({a.date_of_birth for a in lists.accounts if (a.forename, a.surname) == name}) > 1
        for name in shared
    )
    variations = Counter(lists.variations.values())
    for variation in ("forename_form", "typo", "married_name", "surname_punctuation"):
        assert variations[variation] > 10
    assert variations["diacritics_dropped"] > 3
    assert len({r.key for r in lists.records}) == len(lists.records)
