"""Real services for tests: in CI a missing one is an error; on a laptop the test is skipped."""

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str, how: str) -> None:
    """Stop the test when a real service is missing: fail in CI, skip elsewhere."""
    if available:
        return
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
