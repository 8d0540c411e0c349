"""The Hwb team's workplace for staff match lists (mergers and closures)."""
