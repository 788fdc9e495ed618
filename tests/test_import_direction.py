"""Imports point one way: `workers` → `service` → `detection`, and use cases import no web framework.

Read from the source with ast (no import runs), like tests/unit/test_detection_purity.py in a subprocess.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What use cases still import from the web side: a batch import validates its lines with the API's schema.
SERVICES_KNOWN_EXCEPTIONS = {("service/services/batches.py", "marshmallow"),
                             ("service/services/batches.py", "service.schemas")}


def imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports stay inside their package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def modules(folder: str) -> dict[str, set[str]]:
    found = {path.relative_to(ROOT).as_posix(): imports(path)
             for path in sorted((ROOT / folder).rglob("*.py"))}
    assert found, f"no modules under {folder}/"
    return found


def offending(folder: str, packages: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(path, next(p for p in packages if within(name, (p,))))
            for path, names in modules(folder).items() for name in names if within(name, packages)}


def test_detection_imports_neither_the_service_nor_a_framework():
    assert offending("detection", ("service", "workers", "flask", "sqlalchemy", "celery", "kombu",
                                   "marshmallow")) == set()


def test_service_imports_workers_nowhere():
    assert offending("service", ("workers",)) == set()


# What only the composition root (service/bootstrap.py) builds.
WIRING = {"Database", "CeleryQueue", "ArticleCache", "TokenCache"}


def constructions(path: Path) -> set[str]:
    """The WIRING classes a file calls (by name or as an attribute)."""
    calls = (node.func for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
             if isinstance(node, ast.Call))
    return {name for func in calls
            if (name := getattr(func, "id", None) or getattr(func, "attr", None)) in WIRING}


def test_only_the_composition_root_builds_the_database_the_queue_and_the_caches():
    builders = {path.relative_to(ROOT).as_posix(): found for folder in ("service", "workers")
                for path in sorted((ROOT / folder).rglob("*.py")) if (found := constructions(path))}
    assert builders == {"service/bootstrap.py": WIRING}


def test_services_import_neither_workers_nor_the_web_side():
    found = offending("service/services", ("workers", "flask", "flask_smorest", "marshmallow",
                                           "service.schemas", "service.api", "service.web"))
    assert found == SERVICES_KNOWN_EXCEPTIONS


def test_only_the_detector_service_imports_detection():
    users = {path for folder in ("service", "workers") for path, _ in offending(folder, ("detection",))}
    assert users == {"service/services/detector.py"}


@pytest.mark.parametrize("source, expected", [
    ("import workers.tasks", {"workers.tasks"}),
    ("from workers.celery_app import make_celery", {"workers.celery_app"}),
    ("def f():\n    from flask import g", {"flask"}),
    ("from . import model", set()),
])
def test_imports_are_read_from_every_form(tmp_path, source, expected):
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert imports(path) == expected
