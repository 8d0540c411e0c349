"""Titles say where you are, and two links with the same words go to the same place
(WCAG 2.4.2, 2.4.4): on the pages a champion passes through, in English and in Welsh."""

import re
from collections import defaultdict
from html import unescape

import pytest

pytestmark = pytest.mark.django_db


def _title(body: str) -> str:
    return " ".join(re.search(r"<title>(.*?)</title>", body, re.S).group(1).split())


def _links(body: str) -> dict[str, set[str]]:
    places = defaultdict(set)
    for href, inner in re.findall(r'<a\b[^>]*href="([^"]*)"[^>]*>(.*?)</a>', body, re.S):
        words = " ".join(unescape(re.sub(r"<[^>]+>", " ", inner)).split())
        if words and not href.startswith("#"):
            places[words].add(href.split("?")[0])
    return places


@pytest.mark.parametrize("language", ["en", "cy"])
def test_titles_name_the_page_and_same_words_lead_to_one_place(
    champion_client, staff_member, language
):
    champion_client.cookies["django_language"] = language
    pages = {
        "/": "Home" if language == "en" else "Hafan",
        "/user-management/": None,
        "/user-management/accounts/": None,
        f"/user-management/accounts/{staff_member.pk}/": staff_member.get_full_name(),
    }
    for path, expected in pages.items():
        body = champion_client.get(path).content.decode()
        title = _title(body)
        assert title.count(" – ") >= 1, (path, title)  # the page, then the service
        if expected:
            assert title.startswith(expected), (path, title)
        for words, hrefs in _links(body).items():
            assert len(hrefs) == 1, (path, words, hrefs)
            # Any link naming User management leads there (the header's goes home, and says so).
            if re.search(r"user management|rheoli defnyddwyr", words, re.I):
                assert hrefs == {"/user-management/"}, (path, words, hrefs)
    account_title = _title(
        champion_client.get(f"/user-management/accounts/{staff_member.pk}/").content.decode()
    )
    assert account_title.count(" – ") == 2  # the person, the list they belong to, the service


def test_a_school_name_without_welsh_is_marked_english_on_a_welsh_page(champion_client, school):
    """WCAG 3.1.2: a screen reader reads "Llanberis Primary School" in English, not in Welsh."""
    school.name_cy = ""
    school.save()
    champion_client.cookies["django_language"] = "cy"
    for path in ("/user-management/", "/user-management/accounts/"):
        body = champion_client.get(path).content.decode()
        assert f'lang="en">{school.name_en}</span>' in body, path
    school.name_cy = "Ysgol Gynradd Llanberis"
    school.save()
    body = champion_client.get("/user-management/accounts/").content.decode()
    assert 'lang="cy">Ysgol Gynradd Llanberis</span>' in body
