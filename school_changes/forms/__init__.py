"""Forms of school changes: the officer's notices (``notices``) and the staff match review
(``staff_matches``)."""
