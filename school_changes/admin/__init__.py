"""The Hwb team's workplaces for notices and staff match lists (registered on import)."""

from . import notices, staff_matches  # noqa: F401
