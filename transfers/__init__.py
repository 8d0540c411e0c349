"""Transfers: staff account moves by request (built in issue 4)."""
