"""Proposing which new-school staff record is which closing-school account: what a reviewer sees."""

import time
from datetime import date

import pytest

from bench.staff_lists import staff_lists_generate
from provisioning.matching import (
    CLASH,
    DOUBTFUL,
    NONE,
    SURE,
    Person,
    matches_propose,
)
from provisioning.matching.names import name_fold

BORN = date(1982, 3, 14)
OTHER_BIRTHDAY = date(1979, 11, 2)


def propose_one(account: Person, *records: Person):
    (proposal,) = matches_propose([account], list(records))
    return proposal


def test_welsh_diacritics_and_hyphens_with_the_same_date_of_birth_are_sure():
    proposal = propose_one(
        Person(1, "Siân", "ap Dafydd", BORN), Person(10, "Sian", "Ap-Dafydd", BORN)
    )

    assert (proposal.record_key, proposal.confidence) == (10, SURE)
    assert proposal.reasons == ["name_same", "dob_same"]
    assert proposal.score == 100


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (("Dafydd", "Jones"), ("Dai", "Jones")),
        (("Dafydd", "Jones"), ("David", "Jones")),
        (("Gwilym", "Evans"), ("Bill", "Evans")),
        (("Huw", "Pugh"), ("Hugh", "Pugh")),
        (("Siôn", "Roberts"), ("Ioan", "Roberts")),
        (("Marged", "Lloyd"), ("Meg", "Lloyd")),
        (("Llywelyn", "Owen"), ("Llew", "Owen")),
        (("Catrin", "Morgan"), ("Kate", "Morgan")),
        (("Rhys", "Parry"), ("Reece", "Parry")),
        (("Sioned", "Bowen"), ("Janet", "Bowen")),
        (("Mair", "Hughes"), ("Mary", "Hughes")),
        (("Christopher", "Price"), ("Chris", "Price")),
        (("Gwenllïan", "Rees"), ("Gwen", "Rees")),
        (("Ŵyn", "Ellis"), ("WYN", "ELLIS")),
        (("Fiona", "McDonald"), ("Fiona", "Mac Donald")),
        (("Sean", "O'Brien"), ("Sean", "OBrien")),
        (("Ffion", "O’Neill"), ("Ffion", "O'Neill")),
        (("Nia", "Jones-Davies"), ("Nia", "Davies")),
        (("Nia", "Lloyd Jones"), ("Nia", "Jones-Lloyd")),
        (("Llŷr", "Prŷs"), ("Llyr", "PRYS")),
        (("Aled", "ap Rhys"), ("Aled", "Rhys")),
        (("Rhiannon", "Pritchard"), ("Rhiannon", "Prichard")),
        (("Bethan", "Gwynne"), ("Bethan Mai", "Gwynne")),
    ],
)
def test_name_variants_backed_by_the_date_of_birth_are_sure(old, new):
    proposal = propose_one(Person(1, *old, BORN), Person(10, *new, BORN))

    assert (proposal.record_key, proposal.confidence) == (10, SURE), proposal.reasons
    assert "dob_same" in proposal.reasons


def test_a_name_alone_is_never_sure():
    no_dates = propose_one(Person(1, "Siân", "Jones"), Person(10, "Siân", "Jones"))
    one_date = propose_one(Person(1, "Siân", "Jones", BORN), Person(10, "Siân", "Jones"))
    other_date = propose_one(Person(1, "Siân", "Jones"), Person(10, "Siân", "Jones", BORN))

    for proposal in (no_dates, one_date, other_date):
        assert (proposal.record_key, proposal.confidence) == (10, DOUBTFUL)
        assert {"name_same", "dob_missing", "name_only"} <= set(proposal.reasons)


def test_the_same_name_with_another_date_of_birth_is_not_proposed_but_offered():
    proposal = propose_one(
        Person(1, "Siân", "Jones", BORN), Person(10, "Siân", "Jones", OTHER_BIRTHDAY)
    )

    assert (proposal.record_key, proposal.confidence) == (None, NONE)
    assert proposal.reasons == ["dob_differs"]
    assert [key for key, _score in proposal.alternatives] == [10]


def test_namesakes_each_find_their_own_record_by_date_of_birth():
    accounts = [Person(1, "Siân", "Jones", BORN), Person(2, "Sian", "Jones", OTHER_BIRTHDAY)]
    records = [Person(10, "Sian", "JONES", OTHER_BIRTHDAY), Person(11, "Siân", "Jones", BORN)]

    proposals = matches_propose(accounts, records)

    assert [(p.account_key, p.record_key, p.confidence) for p in proposals] == [
        (1, 11, SURE),
        (2, 10, SURE),
    ]


def test_two_accounts_whose_best_record_is_the_same_both_clash():
    accounts = [Person(1, "Gareth", "Evans"), Person(2, "Gareth", "Evans")]

    proposals = matches_propose(accounts, [Person(10, "Gareth", "Evans")])

    assert [(p.record_key, p.confidence) for p in proposals] == [(10, CLASH), (10, CLASH)]
    assert all("clash" in p.reasons for p in proposals)


def test_a_record_surely_matched_is_not_proposed_for_a_namesake_on_name_alone():
    accounts = [Person(1, "Gareth", "Evans"), Person(2, "Gareth", "Evans", BORN)]

    without_date, with_date = matches_propose(accounts, [Person(10, "Gareth", "Evans", BORN)])

    assert (with_date.record_key, with_date.confidence) == (10, SURE)
    assert (without_date.record_key, without_date.confidence) == (None, NONE)
    assert without_date.alternatives[0][0] == 10  # the reviewer can still choose it


def test_a_new_surname_with_the_same_date_of_birth_and_email_is_doubtful():
    proposal = propose_one(
        Person(1, "Catrin", "Pritchard", BORN, "c.pritchard@sirgar.llyw.cymru"),
        Person(10, "Catrin", "Meredith", BORN, "C.Pritchard@sirgar.llyw.cymru "),
        Person(11, "Catrin", "Lloyd", OTHER_BIRTHDAY),
    )

    assert (proposal.record_key, proposal.confidence) == (10, DOUBTFUL)
    assert {"surname_differs", "dob_same", "email_same"} <= set(proposal.reasons)


def test_a_married_name_found_by_email_alone_is_doubtful():
    proposal = propose_one(
        Person(1, "Elin", "Hopkins", None, "e.hopkins@sirgar.llyw.cymru"),
        Person(10, "Elin", "Watkins", None, "e.hopkins@sirgar.llyw.cymru"),
    )

    assert (proposal.record_key, proposal.confidence) == (10, DOUBTFUL)
    assert {"surname_differs", "email_same"} <= set(proposal.reasons)


def test_a_married_name_beats_a_namesake_known_by_name_only():
    proposal = propose_one(
        Person(1, "Ffion", "Price", BORN),
        Person(10, "Ffion", "Price"),  # someone else, no date of birth
        Person(11, "Ffion", "Bevan", BORN),
    )

    assert (proposal.record_key, proposal.confidence) == (11, DOUBTFUL)
    assert proposal.alternatives[0][0] == 10


def test_two_records_as_likely_as_each_other_make_a_doubtful_near_tie():
    proposal = propose_one(
        Person(1, "Rhodri", "Williams"),
        Person(10, "Rhodri", "Williams", BORN),
        Person(11, "Rhodri", "Williams", OTHER_BIRTHDAY),
    )

    assert proposal.confidence == DOUBTFUL
    assert "near_tie" in proposal.reasons
    assert {proposal.record_key, proposal.alternatives[0][0]} == {10, 11}


def test_sian_and_sion_are_different_people_even_on_the_same_birthday():
    proposal = propose_one(Person(1, "Siân", "Hughes", BORN), Person(10, "Siôn", "Hughes", BORN))

    assert proposal.confidence != SURE
    assert "forename_differs" in proposal.reasons


def test_someone_with_no_record_like_them_gets_none():
    proposal = propose_one(
        Person(1, "Heledd", "Vaughan", BORN),
        Person(10, "Mark", "Smith", OTHER_BIRTHDAY),
        Person(11, "Gethin", "Probert"),
    )

    assert (proposal.record_key, proposal.confidence, proposal.alternatives) == (None, NONE, [])


@pytest.mark.parametrize(
    ("forename", "surname"),
    [
        ("", ""),
        ("   ", "-"),
        ("\u200b", "'"),
        ("Ap", "Ap"),
        ("🙂", "Jones🙂"),
        ("Siân" * 5000, "Jones" * 5000),
        ("\x00Siân", "Jones\n"),
    ],
)
def test_odd_names_get_an_answer_and_never_a_sure_one(forename, surname):
    records = [Person(10, "Siân", "Jones"), Person(11, "", "")]

    proposal = propose_one(Person(1, forename, surname), *records)

    assert proposal.confidence in (NONE, DOUBTFUL, CLASH)


def test_names_fold_to_plain_lower_case_words():
    assert name_fold("Siân  AP-Ŵyn") == "sian ap wyn"
    assert name_fold("O’Brien") == "obrien"
    assert name_fold("Łukasz Wiśniewski") == "lukasz wisniewski"


def test_every_account_gets_one_proposal_in_the_order_given():
    lists = staff_lists_generate(seed=7, size=150)

    first = matches_propose(lists.accounts, lists.records)
    again = matches_propose(lists.accounts, list(reversed(lists.records)))

    assert [p.account_key for p in first] == [a.key for a in lists.accounts]
    assert [(p.record_key, p.confidence) for p in first] == [
        (p.record_key, p.confidence) for p in again
    ]
    assert all(0 <= p.score <= 100 for p in first)
    assert all(len(p.alternatives) <= 3 for p in first)


def test_a_school_of_150_staff_is_matched_well_under_a_second():
    lists = staff_lists_generate(seed=3, size=150)

    start = time.perf_counter()
    matches_propose(lists.accounts, lists.records)
    elapsed = time.perf_counter() - start

    assert elapsed < 0.5


def test_a_forename_of_a_hundred_words_is_still_matched_on_its_first():
    many_words = "Siân " + " ".join(f"X{n}" for n in range(100))

    proposal = propose_one(Person(1, many_words, "Jones", BORN), Person(10, "Siân", "Jones", BORN))

    assert (proposal.record_key, proposal.confidence) == (10, SURE)
