"""Database functions the portal needs on both its databases (PostgreSQL, and SQLite for the
demo): translate(), which SQLite lacks, is given to every SQLite connection."""

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func


class Translate(Func):
    """``translate(text, from, to)``: each character of ``from`` in ``text`` becomes the one at
    the same place in ``to``. Immutable on PostgreSQL, so fit for a generated column."""

    function = "TRANSLATE"
    output_field = CharField()


def _translate(text, source, target):
    if text is None:
        return None
    return text.translate(str.maketrans(source, target))


def sqlite_functions_add(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("translate", 3, _translate, deterministic=True)


connection_created.connect(sqlite_functions_add, dispatch_uid="core.db.sqlite_functions_add")
