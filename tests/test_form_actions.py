"""Every form posts to a clean URL: a form without an action posts to the page's own address,
fragment included, and after the skip link that is "#main-content", where the browser then
jumps, taking focus away from the error summary (WCAG 2.4.3, 3.3.1)."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_form_names_its_action():
    missing = [
        f"{path.relative_to(TEMPLATES)}: {tag}"
        for path in TEMPLATES.rglob("*.html")
        for tag in re.findall(r"<form\b[^>]*>", path.read_text())
        if "action=" not in tag or 'action=""' in tag
    ]
    assert missing == []
