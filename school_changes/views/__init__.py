"""Pages of the local authority area: notices (``notices``) and the staff match review
(``staff_matches``)."""
