"""Abstract models every app may build on; the ground floor has no tables of its own."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimelineEvent(models.Model):
    """One step in the life of something people follow (a request, a notice): when, what, who,
    and a short note, shown to them as its timeline.

    A subclass adds the foreign key to what it is a step of, names it in ``subject_field``, and
    lists its steps as ``Action`` choices whose labels say what happened in the reader's words
    (``%(who)s`` is who did it, ``%(note)s`` the note; ``text_values`` may add more). Steps are
    written by ``timeline_event_add`` only.
    """

    class Action(models.TextChoices):
        pass

    subject_field = ""
    # Actions whose note, when there is one, follows the words (": the note").
    NOTE_APPENDED: tuple[str, ...] = ()

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("what happened"), max_length=40)
    actor_username = models.CharField(_("who"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{getattr(self, f'{self.subject_field}_id')} {self.action}"

    def text_values(self) -> dict[str, str]:
        return {"who": self.actor_username, "note": self.note}

    @property
    def text(self) -> str:
        """What happened, in the reader's language (an unknown action is shown as it is)."""
        if self.action not in self.Action.values:
            return self.action
        text = str(self.Action(self.action).label) % self.text_values()
        if self.note and self.action in self.NOTE_APPENDED:
            text = f"{text}: {self.note}"
        return text


def timeline_event_add(
    model: type[TimelineEvent], *, subject: models.Model, action: str, actor, note: str = ""
) -> TimelineEvent:
    """Write one step of ``subject``'s timeline (``actor`` None for a job's steps)."""
    if action not in model.Action.values:
        raise ValueError(f"unknown {model.__name__} action {action!r}")  # a programming error
    return model.objects.create(
        **{model.subject_field: subject},
        action=action,
        actor_username=actor.username if actor is not None else "",
        note=(note or "")[: model._meta.get_field("note").max_length],
    )
