"""Reads of school changes: the officer's notices (``notices``) and staff match lists
(``staff_matches``)."""
