"""No app grows into the whole product: the largest holds under a fifth of the code (issue 14).

The layering itself (who may import whom) is checked by ``lint-imports`` in ``make test``; this
checks the other half of the structure: that the evidence read model and shared UI stay split out.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "saferhood"


def _lines(folder: Path) -> int:
    """Lines of application code: tests and generated migrations are not the app's size."""
    total = 0
    for path in folder.rglob("*.py"):
        parts = set(path.relative_to(PACKAGE).parts)
        if "tests" in parts or "migrations" in parts:
            continue
        total += len(path.read_text(encoding="utf-8").splitlines())
    return total


def test_largest_app_holds_under_a_fifth_of_the_code() -> None:
    apps = {p.name: _lines(p) for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    whole = _lines(PACKAGE)
    largest = max(apps, key=apps.get)
    assert len(apps) >= 8, apps  # the project is split into apps at all
    assert apps[largest] < whole / 5, f"{largest} holds {apps[largest]} of {whole} lines: {apps}"
