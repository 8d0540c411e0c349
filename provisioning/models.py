"""Provisioning models arrive with issue 3 (client tokens, runs, MIS records)."""
