"""Whether the record claiming a learner's account is the same child as the account's own MIS
record: the judgement that lets ordinary moves through and holds the rest."""

from datetime import date

import pytest

from provisioning.identity import LearnerIdentity, learner_same_person, names_agree

BORN = date(2015, 4, 17)
ELIN = LearnerIdentity("Elin", "Roberts", "", BORN)


def same(held: LearnerIdentity, incoming: LearnerIdentity) -> bool:
    return learner_same_person(held, incoming)[0]


def test_the_same_record_is_the_same_child():
    assert learner_same_person(ELIN, ELIN) == (
        True,
        ["date_of_birth_same", "forename_agrees", "surname_agrees"],
    )


def test_a_different_name_and_date_of_birth_is_another_child():
    assert (
        learner_same_person(ELIN, LearnerIdentity("Osian", "Pritchard", "", date(2014, 1, 2)))[0]
        is False
    )


def test_a_different_date_of_birth_is_another_child_whatever_the_names():
    assert learner_same_person(ELIN, LearnerIdentity("Elin", "Roberts", "", date(2015, 4, 18))) == (
        False,
        ["date_of_birth_differs"],
    )


@pytest.mark.parametrize(
    "incoming",
    [
        LearnerIdentity("ELIN", "ROBERTS", "", BORN),  # another MIS's capitals
        LearnerIdentity("Elin", "Roberts-Jones", "", BORN),  # double-barrelled
        LearnerIdentity("Elin", "Pritchard", "", BORN),  # a changed surname
        LearnerIdentity("Elin", "Robrets", "", BORN),  # a typo
        LearnerIdentity("Eleanor", "Roberts", "Elin", BORN),  # the forename in full, known as Elin
    ],
)
def test_the_same_date_of_birth_and_forename_is_the_same_child(incoming):
    assert same(ELIN, incoming)


def test_a_preferred_forename_on_the_accounts_side_counts_too():
    held = LearnerIdentity("Margaret", "Evans", "Megan", BORN)
    assert same(held, LearnerIdentity("Megan", "Evans", "", BORN))


def test_welsh_diacritics_and_apostrophes_fold():
    held = LearnerIdentity("Siân", "O’Brien", "", BORN)
    assert same(held, LearnerIdentity("Sian", "OBrien", "", None))
    assert same(LearnerIdentity("Gwenllïan", "Ŵyn", "", BORN), LearnerIdentity("Gwenllian", "Wyn"))


def test_twins_share_a_surname_and_a_birthday_but_are_not_each_other():
    """A UPN typed into the wrong twin's record must not swap their accounts."""
    assert not same(
        LearnerIdentity("Siân", "Jones", "", BORN), LearnerIdentity("Siôn", "Jones", "", BORN)
    )
    assert not same(
        LearnerIdentity("Elin", "Jones", "", BORN), LearnerIdentity("Elen", "Jones", "", BORN)
    )
    assert not same(ELIN, LearnerIdentity("Cerys", "Roberts", "", BORN))


def test_without_a_date_of_birth_both_names_must_agree():
    assert same(ELIN, LearnerIdentity("Elin", "Roberts"))
    assert not same(ELIN, LearnerIdentity("Elin", "Pritchard"))
    assert not same(ELIN, LearnerIdentity("Cerys", "Roberts"))
    assert learner_same_person(ELIN, LearnerIdentity("Cerys", "Roberts"))[1] == [
        "date_of_birth_unknown",
        "forename_differs",
        "surname_agrees",
    ]


@pytest.mark.parametrize(
    ("one", "other", "agree"),
    [
        ("Roberts", "roberts", True),
        ("Jones", "Jnoes", True),  # one transposition in five letters
        ("Rhiannon", "Rhianon", True),
        ("Llywelyn", "Llewelyn", True),
        ("Christopher", "Christpoher", True),
        ("Sian", "Sion", False),  # four letters: no typo allowed, they are different names
        ("Ann", "Ian", False),
        ("Roberts-Jones", "Jones", True),
        ("ap Rhys", "ap Dafydd", False),  # sharing a particle says nothing
        ("Evans", "Williams", False),
        ("", "Evans", False),
        ("-", "-", False),  # nothing left to compare
    ],
)
def test_names_agree_after_folding_by_a_shared_word_or_a_typo(one, other, agree):
    assert names_agree(one, other) is agree
