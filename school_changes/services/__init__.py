"""Writes of school changes, by subject.

- ``notices``: a local authority's notices and the Hwb team's steps on them;
- ``schools``: the daily job that opens and closes schools on their dates;
- ``staff_matches``: proposing, reviewing and approving the staff match list of a merger or
  closure;
- ``staff_moves``: the batch job that moves the approved matches' accounts.
"""
