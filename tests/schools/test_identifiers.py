"""DfES numbers and UPNs: the vectors from docs/domain.md plus our own."""

import pytest
from django.core.exceptions import ValidationError

from schools.identifiers import (
    is_temporary_upn,
    is_valid_dfes_number,
    is_valid_upn,
    normalise_dfes_number,
    upn_from_digits,
    upn_hash,
    validate_dfes_number,
    validate_upn,
)

VALID_UPNS = [
    "B801200005001",
    "H801200001001",
    "A950000178301",
    "H243278544154",
    "Q681200124001",
    "E660200124001",
    "V666401225050",
    "Y681200124025",
    "Z681200124016",
]
TEMPORARY_UPNS = ["G80120000101A", "P68120012401A", "M67340122505K"]
INVALID_UPNS = {
    "A801200005001": "invalid_check_letter",
    "Z801200001001": "invalid_check_letter",
    "R247962919251": "invalid_check_letter",
    "G80120000101S": "upn_format",
    "H8131111111E1": "upn_format",
    "X80120000A001": "upn_format",
    # our own: wrong length, lower case, spaces, empty, a non-ASCII digit
    "B80120000500": "upn_format",
    "B8012000050011": "upn_format",
    "b801200005001": "upn_format",
    "B801200 05001": "upn_format",
    "": "upn_format",
    "B80120000500١": "upn_format",
    "G80120000101O": "upn_format",
    "G80120000101I": "upn_format",
}


@pytest.mark.parametrize("upn", VALID_UPNS + TEMPORARY_UPNS)
def test_valid_upns_pass(upn):
    validate_upn(upn)
    assert is_valid_upn(upn)


@pytest.mark.parametrize(("upn", "code"), INVALID_UPNS.items())
def test_invalid_upns_fail_with_a_code(upn, code):
    with pytest.raises(ValidationError) as caught:
        validate_upn(upn)
    assert caught.value.code == code
    assert not is_valid_upn(upn)


def test_temporary_upns_are_recognised():
    assert all(is_temporary_upn(upn) for upn in TEMPORARY_UPNS)
    assert not any(is_temporary_upn(upn) for upn in VALID_UPNS)


def test_check_letter_uses_the_whole_23_letter_table():
    # Remainders 21 and 22 give Y and Z, which some public validators drop.
    assert upn_from_digits("681200124025") == "Y681200124025"
    assert upn_from_digits("681200124016") == "Z681200124016"


def test_english_upns_are_valid_in_wales():
    assert is_valid_upn("H801200001001")  # LA 801 is Bristol


def test_upn_hash_is_keyed_and_never_the_upn(settings):
    first = upn_hash("B801200005001")
    assert "B801200005001" not in first and len(first) == 64
    assert upn_hash(" b801200005001 ") == first
    settings.HWB_UPN_HASH_KEY = "another-key-another-key-another-key"
    assert upn_hash("B801200005001") != first


@pytest.mark.parametrize("dfes", ["6602000", "6812003", "6600000", "6819999"])
def test_welsh_dfes_numbers_pass(dfes):
    validate_dfes_number(dfes)


@pytest.mark.parametrize(
    ("dfes", "code"),
    [
        ("6592000", "dfes_not_welsh"),
        ("6822000", "dfes_not_welsh"),
        ("8012000", "dfes_not_welsh"),
        ("661200", "dfes_format"),
        ("66120001", "dfes_format"),
        ("661200A", "dfes_format"),
        ("", "dfes_format"),
        ("６６１２０００", "dfes_format"),
    ],
)
def test_bad_dfes_numbers_fail(dfes, code):
    with pytest.raises(ValidationError) as caught:
        validate_dfes_number(dfes)
    assert caught.value.code == code
    assert not is_valid_dfes_number(dfes)


def test_dfes_numbers_as_people_type_them_are_normalised():
    assert normalise_dfes_number(" 661 2001 ") == "6612001"
    assert normalise_dfes_number("661-2001") == "6612001"
