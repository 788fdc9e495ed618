"""A failed browser test shows what the live service logged, which the browser only sees as a status."""
from __future__ import annotations

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    service = item.funcargs.get("desk") if hasattr(item, "funcargs") else None
    if report.failed and service is not None and service.log.is_file():
        report.sections.append(("claimdesk serve log (its end)",
                                service.log.read_text(errors="replace")[-4000:]))
    return report
