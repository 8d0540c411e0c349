"""Timelines: one writer for every kind of step, each step told in the reader's language."""

from datetime import date

import pytest
from django.utils import translation

from core.models import timeline_event_add
from school_changes.models import SchoolNotice, SchoolNoticeEvent


@pytest.fixture
def notice(school):
    return SchoolNotice.objects.create(
        kind=SchoolNotice.Kind.CLOSURE,
        local_authority=school.local_authority,
        effective_date=date(2027, 8, 31),
    )


def test_a_step_is_told_in_words_with_its_note(notice, champion):
    event = timeline_event_add(
        SchoolNoticeEvent, subject=notice, action="declined", actor=champion, note="Too late"
    )
    assert event.text == "Declined by the Hwb team: Too late"
    with translation.override("cy"):
        assert event.text.endswith(": Too late") and "Hwb" in event.text
        assert event.text != "Declined by the Hwb team: Too late"


def test_a_step_names_who_took_it(notice, champion):
    event = timeline_event_add(
        SchoolNoticeEvent, subject=notice, action="submitted", actor=champion
    )
    assert event.text == f"Sent by {champion.username}"


def test_an_unknown_step_is_refused_and_nothing_is_written(notice):
    with pytest.raises(ValueError):
        timeline_event_add(SchoolNoticeEvent, subject=notice, action="teleported", actor=None)
    assert not SchoolNoticeEvent.objects.exists()


def test_a_long_note_is_cut_to_what_the_column_holds(notice):
    event = timeline_event_add(
        SchoolNoticeEvent, subject=notice, action="completed", actor=None, note="x" * 900
    )
    assert len(event.note) == 500
