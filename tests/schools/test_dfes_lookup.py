"""The DfES-number lookup that shows a school's name as it is typed."""

from django.core.cache import cache

from tests.conftest import sign_in


def test_a_signed_in_user_gets_the_schools_name(client, staff_member, other_school):
    sign_in(client, staff_member, reauthenticated=False)
    response = client.get("/schools/lookup/6814004/")
    assert response.status_code == 200
    assert response.json() == {
        "dfes_number": "6814004",
        "name": "Glantaf Secondary School",
        "name_en": "Glantaf Secondary School",
        "name_cy": "Ysgol Uwchradd Glantaf",
    }


def test_the_name_follows_the_readers_language(client, staff_member, other_school):
    sign_in(client, staff_member, reauthenticated=False)
    client.post("/i18n/setlang/", {"language": "cy", "next": "/"})
    assert client.get("/schools/lookup/6814004/").json()["name"] == "Ysgol Uwchradd Glantaf"


def test_spaces_people_type_are_ignored(client, staff_member, other_school):
    sign_in(client, staff_member, reauthenticated=False)
    assert client.get("/schools/lookup/681 4004/").status_code == 200


def test_unknown_and_malformed_numbers_say_only_not_found(client, staff_member):
    sign_in(client, staff_member, reauthenticated=False)
    bodies = set()
    for number in ("6819999", "1234567", "abc", "6" * 50, "%00", "661２００１"):
        response = client.get(f"/schools/lookup/{number}/")
        assert response.status_code == 404
        bodies.add(response.content)
    assert len(bodies) == 1


def test_the_lookup_needs_a_signed_in_account(client, other_school):
    response = client.get("/schools/lookup/6814004/")
    assert response.status_code in (401, 403)
    assert b"Glantaf" not in response.content


def test_the_lookup_is_rate_limited_per_account(client, staff_member, other_school, settings):
    cache.clear()
    sign_in(client, staff_member, reauthenticated=False)
    statuses = [client.get("/schools/lookup/6814004/").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    cache.clear()


def test_the_lookup_answers_and_is_still_limited_while_redis_is_down(
    client, staff_member, other_school, cache_with_redis_down
):
    sign_in(client, staff_member, reauthenticated=False)
    statuses = [client.get("/schools/lookup/6814004/").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
