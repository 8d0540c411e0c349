"""Provisioning: client tokens, the snapshot API, runs and learner moves (built in issue 3)."""
