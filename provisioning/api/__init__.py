"""The Provisioning Client API (version 1), mounted at /api/provisioning/v1/."""
