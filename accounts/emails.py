"""The outbox every app sends mail through: written with the change it reports, sent by a worker.

``email_enqueue`` renders an email in its reader's language and stores it in the caller's
transaction; a worker delivers it once that transaction commits, so a rollback sends nothing.
``email_deliver`` sends a stored email at most once, however often it is asked to.
"""

import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboundEmail

# The delivery task tries nine times (one try and eight retries); after that the email stays
# unsent for the Hwb team to look at (and "send again now" in the admin).
MAX_ATTEMPTS = 9
# An email still unsent this long after it was written lost its delivery task (a broker that was
# down at commit, a worker that died): the beat sweep enqueues it again.
STRAGGLER_AGE = timedelta(minutes=10)
STRAGGLER_BATCH = 500


def _language_or_default(language: str) -> str:
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _render_one(template: str, context: dict, language: str, *, fragment: bool):
    with translation.override(language):
        subject = render_to_string(f"emails/{template}/subject.txt", context)
        subject = " ".join(subject.split())[:255]
        context = {**context, "subject": subject, "fragment": fragment}
        body_text = render_to_string(f"emails/{template}/body.txt", context).strip() + "\n"
        body_html = render_to_string(f"emails/{template}/body.html", context)
    return subject, body_text, body_html


BILINGUAL = "cy,en"  # an email's language when it holds both: Welsh first, then English


def email_render(
    *, template: str, context: dict, language: str, bilingual: bool = False
) -> tuple[str, str, str]:
    """The subject (one line), plain-text body and HTML body of an email, in the language
    given; ``bilingual``: Welsh first, then English, each section declaring its language (the
    Welsh Language Standards: Welsh no less favourably treated)."""
    first = _language_or_default(language)
    if not bilingual:
        return _render_one(template, context, first, fragment=False)
    first, second = "cy", "en"
    parts = [_render_one(template, context, lang, fragment=True) for lang in (first, second)]
    subject = f"{parts[0][0]} / {parts[1][0]}"[:255]
    body_text = parts[0][1] + "\n" + "=" * 40 + "\n\n" + parts[1][1]
    body_html = render_to_string(
        "emails/bilingual.html",
        {"subject": subject, "sections": [(first, parts[0][2]), (second, parts[1][2])]},
    )
    return subject, body_text, body_html


def email_enqueue(
    *, to: str, template: str, context: dict, language: str, bilingual: bool = False
) -> OutboundEmail:
    """Write an email in the current transaction; it is sent only if that transaction commits.

    ``language`` is the recipient's ("cy" or "en"). Someone whose language is not known, and
    every ``bilingual`` email, gets both: Welsh first, then English.
    """
    if language not in dict(settings.LANGUAGES):
        bilingual = True
    language = _language_or_default(language)
    subject, body_text, body_html = email_render(
        template=template, context=context, language=language, bilingual=bilingual
    )
    if bilingual:
        language = BILINGUAL
    email = OutboundEmail.objects.create(
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        template=template,
        language=language,
    )
    # Robust: once the change has committed, a broker that cannot be reached must not turn the
    # caller's success into an error. The unsent row stays, and the straggler sweep sends it.
    transaction.on_commit(lambda: _delivery_enqueue(email.pk), robust=True)
    return email


def _delivery_enqueue(email_id: int) -> None:
    from .tasks import email_deliver  # the task module imports this one

    email_deliver.delay(email_id)


def email_deliver(*, email_id: int) -> bool:
    """Send a stored email unless it has been sent already; True when this call sent it.

    The row stays locked while the message goes out, so a second delivery of the same email
    waits, then finds it sent. On an SMTP or network error the attempt and the error are
    recorded and the error is raised again for the task to retry.
    """
    failure: OSError | None = None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.sent_at is not None:
            return False
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            # Automatic mail: out-of-office replies should not answer it (RFC 3834).
            headers={
                "Auto-Submitted": "auto-generated",
                "Content-Language": ", ".join(email.language.split(",")),  # "cy, en" for both
            },
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            failure = error
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            email.save(update_fields=["attempts", "last_error"])
        else:
            email.sent_at = timezone.now()
            email.last_error = ""
            email.save(update_fields=["attempts", "last_error", "sent_at"])
            return True
    # Raised outside the transaction, so the recorded attempt is kept.
    raise failure


def emails_stragglers_enqueue(*, now: datetime | None = None) -> int:
    """Enqueue delivery again for unsent emails whose task was lost; returns how many."""
    now = now or timezone.now()
    stragglers = list(
        OutboundEmail.objects.filter(
            sent_at__isnull=True,
            created_at__lt=now - STRAGGLER_AGE,
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:STRAGGLER_BATCH]
    )
    for email_id in stragglers:
        _delivery_enqueue(email_id)
    return len(stragglers)
