"""Logs without secrets: a signed link token in a request line, path, query or Referer is written
as ``[token]``.

The links in headteachers' and authorisers' emails carry signed tokens in their path; the pages
move the token into the session and redirect to a clean URL, but the first request is still
logged: by gunicorn's access log (``RedactingLogger``), by Django ("Bad Request: /path", through
``RedactTokensFilter`` on the console handler) and by nginx (deploy/nginx.conf, with a ``map``).
"""

import logging
import re

from gunicorn.glogging import Logger

# django.core.signing's output: base64 payload, timestamp and signature joined by colons
# (a colon may arrive percent-encoded).
SIGNED_TOKEN = re.compile(r"\.?[\w-]{8,}(?::|%3[aA])[\w-]+(?::|%3[aA])[\w-]{20,}")


def redact(text: str) -> str:
    return SIGNED_TOKEN.sub("[token]", text)


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens taken out of every value an access log line can show."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            name: redact(value) if isinstance(value, str) else value
            for name, value in atoms.items()
        }


class RedactTokensFilter(logging.Filter):
    """For Django's log handlers: the message, with any signed token taken out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SIGNED_TOKEN.search(message):
            record.msg, record.args = redact(message), ()
        return True
