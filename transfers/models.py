"""Transfer models arrive with issue 4 (requests, approvals, timelines)."""
