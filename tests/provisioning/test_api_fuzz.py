"""Malformed snapshots, generated: the API never answers 500 and never writes part of one.

Each example sends to a school of its own (fresh, so what a run applied can be told exactly) and
counts the rows of runs, accounts and MIS records before and after.
"""

import copy
import json
import uuid

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import User
from provisioning.credentials import client_token_issue
from provisioning.models import MisLearner, MisStaff, ProvisioningRun
from schools.identifiers import upn_from_digits, upn_hash
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

API = "/api/provisioning/v1"
FUZZ = hypothesis_settings(
    max_examples=150,
    deadline=None,
    database=None,  # nothing written to the work tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


class Raw:
    """JSON text put into the body as it is: what json.dumps cannot (or would not) write."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:20]!r}{'…' if len(self.text) > 20 else ''})"


# JSON that Python reads (to inf, big ints, NUL and lone surrogates in text) ...
RAW_VALUES = [
    "1e999",
    "-1e999",
    "123456789012345678901234567890",
    '"\\ud800"',  # a lone surrogate, escaped
    '"Si\\udfffn"',
    '"\\u0000"',
    '"Si\\u0000n"',
]
# ... and what no JSON parser should take: one of these anywhere sinks the whole body.
RAW_NOT_JSON = ["NaN", "Infinity", "1" + "0" * 5000]  # past Python's int-from-string limit
ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "Siân\x00",
        "\ud800",
        "a\udfffb",
        "\u202eesreveR",  # right-to-left override
        "\u200b",
        "\ufeff",
        "Ŵŷâ",
        "Sia\u0302n",  # combining circumflex
        "🏴󠁧󠁢󠁷󠁬󠁳󠁿",
        "x" * 101,
        "x" * 100,
        "\n",
        "2015-02-30",
        "0000-01-01",
        "+12015-01-01",
        "6612001",
        "A661200124001 ",
    ]
)


def nested(depth: int) -> Raw:
    return Raw("[" * depth + "]" * depth)


def junk(raw: list[str], deepest: int):
    """Any JSON value, with raw fragments, odd text and lists nested up to `deepest`."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.integers(min_value=10**30, max_value=10**40)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20)
        | ODD_TEXT
        # By position: a strategy's repr would otherwise hold the 5,000 digits.
        | st.sampled_from(range(len(raw))).map(lambda i: Raw(raw[i]))
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=6) | ODD_TEXT, children, max_size=3)
        ),
        max_leaves=8,
    ) | st.integers(min_value=1, max_value=deepest).map(nested)


JUNK = junk(RAW_VALUES + RAW_NOT_JSON, 3000)
# In records: junk that spoils a record but leaves the body JSON.
RECORD_JUNK = junk(RAW_VALUES, 3)


def encode(value, *, ensure_ascii: bool = True) -> bytes:
    """JSON text of value, Raw fragments included. Without ensure_ascii, lone surrogates are
    written as they are (bytes that are not UTF-8)."""
    fragments: dict[str, str] = {}

    def placeholder(item):
        if isinstance(item, Raw):
            key = f"@@raw{uuid.uuid4().hex}@@"
            fragments[key] = item.text
            return key
        raise TypeError(type(item))

    text = json.dumps(value, default=placeholder, ensure_ascii=ensure_ascii)
    for key, fragment in fragments.items():
        text = text.replace(f'"{key}"', fragment)
    return text.encode("utf-8", errors="surrogatepass")


# --- One fresh school per example --------------------------------------------------------------


def fresh_school():
    school = SchoolFactory()
    return school, client_token_issue(school=school, actor=None)[1]


def rows_written() -> tuple[int, int, int, int]:
    return (
        ProvisioningRun.objects.count(),
        User.objects.count(),
        MisLearner.objects.count(),
        MisStaff.objects.count(),
    )


def send(client, secret: str, body: bytes, capture):
    with capture(execute=True):
        response = client.generic(
            "POST",
            f"{API}/snapshots/",
            body,
            content_type="application/json",
            headers={"authorization": f"Bearer {secret}"},
        )
    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"
    return response


def valid_learner(school, index: int) -> dict:
    return {
        "upn": upn_from_digits(f"{school.dfes_number}26{index:03d}"),
        "forename": "Siân",
        "surname": "Jones",
        "preferred_forename": None,
        "date_of_birth": "2015-04-17",
        "year_group": "6",
        "admission_date": "2019-09-03",
        "leaving_date": None,
    }


def valid_staff(index: int) -> dict:
    return {
        "staff_code": f"S{index:03d}",
        "title": "Mrs",
        "forename": "Sarah",
        "surname": "Jones",
        "date_of_birth": "1980-02-11",
        "work_email": None,
        "role": "teaching",
        "is_headteacher": False,
        "start_date": "2012-09-01",
        "leaving_date": None,
    }


def envelope(school, *, learners=(), staff=()) -> dict:
    return {
        "school": school.dfes_number,
        "mis": "SIMS",
        "client_version": "4.2.0",
        "extracted_at": "2026-01-05T06:30:00Z",
        "learners": list(learners),
        "staff": list(staff),
    }


def records(data, valid) -> list:
    """Valid records, some spoiled field by field, some duplicated, and plain junk."""
    made = []
    for index in range(data.draw(st.integers(min_value=0, max_value=6), label="how many")):
        shape = data.draw(st.sampled_from(["valid", "spoiled", "spoiled", "junk", "copy"]))
        if shape == "junk":
            made.append(data.draw(RECORD_JUNK, label="junk record"))
            continue
        earlier = [record for record in made if isinstance(record, dict)]
        if shape == "copy" and earlier:
            made.append(copy.deepcopy(data.draw(st.sampled_from(earlier), label="copy of")))
            continue
        record = valid(index)
        if shape == "spoiled":
            for name in data.draw(
                st.lists(st.sampled_from([*record, "extra"]), min_size=1, max_size=3, unique=True)
            ):
                if data.draw(st.booleans(), label=f"drop {name}"):
                    record.pop(name, None)
                else:
                    record[name] = data.draw(RECORD_JUNK | ODD_TEXT, label=name)
        made.append(record)
    return made


# --- Properties ---------------------------------------------------------------------------------


@FUZZ
@given(
    body=st.binary(max_size=300)
    | JUNK.map(encode)
    | st.sampled_from(range(len(RAW_NOT_JSON))).map(lambda i: RAW_NOT_JSON[i].encode())
    | st.integers(min_value=1, max_value=100_000).map(lambda d: b"[" * d + b"]" * d)
)
def test_a_body_that_is_no_snapshot_is_refused_and_nothing_is_written(
    client, django_capture_on_commit_callbacks, body
):
    school, secret = fresh_school()
    before = rows_written()

    response = send(client, secret, body, django_capture_on_commit_callbacks)
    event(f"answered {response.status_code}")  # pytest --hypothesis-show-statistics shows them

    assert response.status_code == 400
    assert response.json()["errors"]
    assert rows_written() == before


@FUZZ
@given(data=st.data())
def test_a_wrong_envelope_is_refused_whole(client, django_capture_on_commit_callbacks, data):
    school, secret = fresh_school()
    body = envelope(school, learners=[valid_learner(school, 0)], staff=[valid_staff(0)])
    for name in data.draw(
        st.lists(st.sampled_from([*body, "extra"]), min_size=1, max_size=4, unique=True)
    ):
        if data.draw(st.booleans(), label=f"drop {name}"):
            body.pop(name, None)
        else:
            body[name] = data.draw(JUNK | ODD_TEXT, label=name)
    sent = encode(body, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    before = rows_written()

    response = send(client, secret, sent, django_capture_on_commit_callbacks)
    event(f"answered {response.status_code}")

    if response.status_code == 202:
        run = ProvisioningRun.objects.get(pk=response.json()["run"])
        assert run.status in {"succeeded", "held"}, run.failure_reason
        assert_only_valid_records_applied(school, run, sent)
    else:
        assert response.status_code in {400, 403}
        assert response.json()["errors"]
        assert rows_written() == before


@FUZZ
@given(data=st.data())
def test_bad_records_are_rejected_one_by_one_and_only_good_ones_applied(
    client, django_capture_on_commit_callbacks, data
):
    school, secret = fresh_school()
    body = envelope(
        school,
        learners=records(data, lambda i: valid_learner(school, i)),
        staff=records(data, valid_staff),
    )

    sent = encode(body)
    before = rows_written()

    response = send(client, secret, sent, django_capture_on_commit_callbacks)
    event(f"answered {response.status_code}")

    if response.status_code == 400:
        # Only a body that is not plain, shallow JSON (NaN, 5,000-digit numbers, lists in lists
        # deeper than any record needs) may sink the envelope; a record can only sink itself.
        assert not plain_json(sent)
        assert response.json()["errors"]
        assert rows_written() == before
        return
    assert response.status_code == 202, response.json()
    run = ProvisioningRun.objects.get(pk=response.json()["run"])
    assert run.status in {"succeeded", "held"}, run.failure_reason
    event(f"run {run.status}, {len(run.errors)} record errors")
    assert_only_valid_records_applied(school, run, sent)


def plain_json(sent: bytes) -> bool:
    """Strict JSON (no NaN or Infinity), no number past Python's limits, and shallow: the
    snapshot, its lists, records, and a value in them that is at most a list of lists."""

    def reject(name):
        raise ValueError(name)

    try:
        value = json.loads(sent, parse_constant=reject)
    except (ValueError, RecursionError):
        return False
    return depth(value) <= 5


def depth(value) -> int:
    """How deeply lists and objects nest in value (without recursing: it may be very deep)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            level += 1
            deepest = max(deepest, level)
            stack.extend(
                (child, level) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def assert_only_valid_records_applied(school, run: ProvisioningRun, sent: bytes) -> None:
    """What the school holds now is exactly the accepted records of the snapshot (as the
    portal read it), or nothing at all when the run was held."""
    body = json.loads(sent)
    learners = body.get("learners") if isinstance(body.get("learners"), list) else []
    staff = body.get("staff") if isinstance(body.get("staff"), list) else []
    rejected = {error["record"] for error in run.errors}
    accepted_learners = [
        record for i, record in enumerate(learners) if f"learners[{i}]" not in rejected
    ]
    accepted_staff = [record for i, record in enumerate(staff) if f"staff[{i}]" not in rejected]
    held_learners = set(MisLearner.objects.filter(school=school).values_list("upn_hash", flat=True))
    held_staff = set(MisStaff.objects.filter(school=school).values_list("staff_code", flat=True))
    accounts = User.objects.filter(school=school)

    if run.status == "held":
        assert (held_learners, held_staff, accounts.count()) == (set(), set(), 0)
        return
    assert held_learners == {upn_hash(record["upn"]) for record in accepted_learners}
    assert held_staff == {record["staff_code"] for record in accepted_staff}
    assert set(run.accounts["learners"]) == {record["upn"] for record in accepted_learners}
    assert set(run.accounts["staff"]) == {record["staff_code"] for record in accepted_staff}
    usernames = [
        name
        for kind in ("learners", "staff")
        for name in run.accounts[kind].values()
        if name is not None
    ]
    assert sorted(accounts.values_list("username", flat=True)) == sorted(usernames)
    counts = run.counts
    assert counts["learners"]["received"] == len(learners)
    assert counts["learners"]["rejected"] == len(learners) - len(accepted_learners)
    assert counts["staff"]["rejected"] == len(staff) - len(accepted_staff)


# --- The cases the generator found, kept as plain examples -------------------------------------


@pytest.mark.parametrize("key", ['"\\u0000"', '"A66120012600\\u0000"', '"\\ud800"', '"S\\udfff"'])
@pytest.mark.parametrize("kind", ["learners", "staff"])
def test_a_record_whose_key_no_database_can_store_is_rejected_alone(
    client, django_capture_on_commit_callbacks, kind, key
):
    school, secret = fresh_school()
    field = "upn" if kind == "learners" else "staff_code"
    spoiled = valid_learner(school, 1) if kind == "learners" else valid_staff(1)
    spoiled[field] = Raw(key)
    body = envelope(school, learners=[valid_learner(school, 0)], staff=[valid_staff(0)])
    body[kind].append(spoiled)
    sent = encode(body)

    response = send(client, secret, sent, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    run = ProvisioningRun.objects.get(pk=response.json()["run"])
    assert run.status == "succeeded", run.failure_reason
    assert [error["record"] for error in run.errors] == [f"{kind}[1]"]
    assert_only_valid_records_applied(school, run, sent)


def test_nesting_as_deep_as_the_parser_goes_is_never_a_server_error(
    django_capture_on_commit_callbacks,
):
    """Past some depth the JSON parser gives up (400); just short of it, storing or applying
    the snapshot must not be what gives up instead."""
    school, secret = fresh_school()
    client = Client(raise_request_exception=False)

    def answer(levels: int) -> int:
        body = envelope(
            school,
            learners=[{**valid_learner(school, 0), "forename": nested(levels)}],
            staff=[valid_staff(0)],
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client.generic(
                "POST",
                f"{API}/snapshots/",
                encode(body),
                content_type="application/json",
                headers={"authorization": f"Bearer {secret}"},
            )
        assert response.status_code in {202, 400}, f"{levels} levels: {response.status_code}"
        if response.status_code == 202:
            run = ProvisioningRun.objects.get(pk=response.json()["run"])
            assert run.status == "succeeded", f"{levels} levels: {run.failure_reason}"
            assert [error["field"] for error in run.errors] == ["forename"]
        return response.status_code

    # Bisect for the deepest body the parser takes, then try every depth just short of it.
    parsed, refused = 1, 100_000
    assert answer(parsed) == 202 and answer(refused) == 400
    while refused - parsed > 1:
        middle = (parsed + refused) // 2
        if answer(middle) == 400:
            refused = middle
        else:
            parsed = middle
    for levels in range(max(1, parsed - 50), parsed):
        assert answer(levels) == 202
