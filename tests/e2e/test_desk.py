"""The reviewer's desk in a real browser (Debian's chromium, headless) against a live `claimdesk serve`."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.conftest import CLAIMDESK, LiveService, base_env, start_service, stop_service

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seed" / "000_f7a6ae565c320a86.txt"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers lack the namespaces), no GPU, and nothing that phones home during a test.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NOTE = "Checked against the MoD briefing: 1,351 is Russia's own count."


def _need(present: bool, reason: str) -> None:
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> Iterator[LiveService]:
    """A live service on the embedded default, with a reviewer (rita) and an editor (eddie)."""
    _need(CHROMIUM.exists(), f"{CHROMIUM} is absent: install Debian's chromium package")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the `test` extra)")
    workdir = tmp_path_factory.mktemp("desk")
    env = base_env(workdir / "instance")
    service = start_service(env, workdir)
    try:
        for name, role in (("rita", "reviewer"), ("eddie", "editor")):
            subprocess.run([CLAIMDESK, "users", "create", name, "--role", role, "--password-stdin"],
                           input=PASSWORD + "\n", env=env, cwd=workdir, check=True, capture_output=True,
                           text=True, timeout=60)
        yield service
    finally:
        stop_service(service)


@pytest.fixture
def seed_text() -> str:
    _need(SEED.is_file(), f"{SEED} is absent: the seed article lives in ../shared")
    return SEED.read_text(encoding="utf-8")


def _log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{url}/")


def _watch(page, problems: list[str]):
    """Collect script errors and console errors (a CSP violation is one) for the end of the test."""
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    return page


def _desk_user(browser, desk, username: str, problems: list[str]):
    """A desktop page logged in as `username`, its errors collected in `problems`."""
    page = _watch(browser.new_context(viewport=DESKTOP).new_page(), problems)
    _log_in(page, desk.url, username)
    return page


def _open_claim(page, presses: int) -> None:
    for _ in range(presses):
        page.keyboard.press("j")


@contextmanager
def _chromium():
    """Headless chromium through Playwright; screenshots go to test-artifacts/."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _add_article(page, **fields: str) -> str:
    """Post an article through the queue's form; the URL of its page, which the form opens."""
    if not page.locator("#new-text").is_visible():
        page.click("summary:has-text('New article')")
    for field, value in fields.items():
        page.fill(f"#new-{field}", value)
    page.click("button:has-text('Add and flag')")
    page.wait_for_url(re.compile(r"/articles/\d+$"), timeout=60_000)
    return page.url


def test_review_an_article_with_the_keyboard(desk, seed_text):
    from playwright.sync_api import expect

    with _chromium() as browser:
        problems: list[str] = []
        rita = _desk_user(browser, desk, "rita", problems)

        # Post the seed article through the queue's form and follow it until it is flagged.
        article_url = _add_article(rita, outlet="LADbible", text=seed_text)
        for kind in ("quote", "number", "sourcing"):
            assert rita.locator(f"#article-body mark.f-{kind}").count() > 0, kind
        rita.hover("#article-body mark.f-quote >> nth=0")
        expect(rita.locator("#flag-tip")).to_contain_text("quote (")
        rita.focus("#article-body mark.f-number >> nth=0")
        expect(rita.locator("#flag-tip")).to_contain_text("number (")
        rita.uncheck(".kind-toggle[value=quote]")
        assert rita.eval_on_selector("#article-body mark.f-quote",
                                     "m => getComputedStyle(m).textDecorationLine") == "none"
        rita.check(".kind-toggle[value=quote]")
        rita.mouse.move(0, 0)
        rita.screenshot(path=str(ARTIFACTS / "article-desktop.png"))

        # Annotate the second claim with the keyboard only.
        _open_claim(rita, 2)
        claim = rita.locator(".claim-item.is-current")
        claim_id = claim.get_attribute("data-claim")
        rita.keyboard.press("3")
        rita.keyboard.press("e")
        rita.keyboard.type(NOTE)
        rita.keyboard.press("Control+Enter")
        expect(rita.locator("#save-status")).to_contain_text("Saved claim 2: misleading")
        rita.screenshot(path=str(ARTIFACTS / "article-annotating.png"))

        rita.reload()
        expect(rita.locator(f"#claim-{claim_id} .badge")).to_have_text("misleading")
        _open_claim(rita, 2)
        expect(rita.locator("#note")).to_have_value(NOTE)
        expect(rita.locator('input[name="verdict"][value="misleading"]')).to_be_checked()
        rita.keyboard.press("?")
        expect(rita.locator("#shortcuts-dialog")).to_be_visible()
        rita.keyboard.press("Escape")
        expect(rita.locator("#shortcuts-dialog")).to_be_hidden()
        # A bad evidence link is refused by the API and named next to its field.
        rita.click("#add-evidence")
        rita.keyboard.type("not a link")
        rita.keyboard.press("Control+Enter")
        expect(rita.locator(".evidence-row .field-error")).to_contain_text("URL")
        rita.click(".remove-evidence")

        # The editor opens the same annotation; then the reviewer changes it again.
        eddie = _desk_user(browser, desk, "eddie", problems)
        eddie.goto(article_url)
        rita.keyboard.press("4")
        rita.keyboard.press("Control+Enter")
        expect(rita.locator("#save-status")).to_contain_text("Saved claim 2: inaccurate")

        _open_claim(eddie, 2)
        eddie.keyboard.press("1")
        eddie.keyboard.press("Control+Enter")
        dialog = eddie.locator("#conflict-dialog")
        expect(dialog).to_be_visible()
        expect(eddie.locator("#conflict-theirs")).to_contain_text("inaccurate")
        expect(eddie.locator("#conflict-mine")).to_contain_text("accurate")
        eddie.screenshot(path=str(ARTIFACTS / "article-conflict.png"))
        eddie.click("#conflict-overwrite")
        expect(dialog).to_be_hidden()
        expect(eddie.locator("#save-status")).to_contain_text("Saved claim 2: accurate")
        expect(eddie.locator(f"#claim-{claim_id} .badge")).to_have_text("accurate")

        rita.goto(f"{desk.url}/")
        expect(rita.locator("table.queue tbody tr")).to_have_count(1)
        rita.screenshot(path=str(ARTIFACTS / "queue-desktop.png"), full_page=True)

        phone = _watch(browser.new_context(viewport=PHONE, device_scale_factor=2).new_page(), problems)
        _log_in(phone, desk.url, "rita")
        phone.screenshot(path=str(ARTIFACTS / "queue-390.png"), full_page=True)
        phone.goto(article_url)
        _open_claim(phone, 2)
        # Nothing may force a sideways scroll at phone width.
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        phone.screenshot(path=str(ARTIFACTS / "article-390.png"))
        phone.locator(".claim-item.is-current").screenshot(path=str(ARTIFACTS / "article-390-claim.png"))
        # The failed save above answers 422 and the conflict 412; Chromium logs each failed fetch.
        unexpected = [p for p in problems if "status of 422" not in p and "status of 412" not in p]
        assert not unexpected, unexpected


def test_an_editor_moves_the_article_through_review(desk):
    from playwright.sync_api import expect

    with _chromium() as browser:
        problems: list[str] = []
        eddie = _desk_user(browser, desk, "eddie", problems)
        article_url = _add_article(eddie, title="Empty homes: the council's figure",
                                   text="The council said 40 percent of homes in the ward stood empty. "
                                        "A spokesperson declined to name the survey.")
        expect(eddie.locator("#review-select")).to_have_value("unreviewed")

        # A second editor's tab opened now goes stale when the first one sets the status.
        stale = _desk_user(browser, desk, "eddie", problems)
        stale.goto(article_url)

        eddie.select_option("#review-select", "in-review")
        eddie.click("#review-save")
        expect(eddie.locator("#review-said")).to_have_text("Review status: in-review.")

        stale.select_option("#review-select", "approved")
        stale.click("#review-save")
        expect(stale.locator("#review-error")).to_contain_text('someone set it to "in-review" meanwhile')
        expect(stale.locator("#review-select")).to_have_value("in-review")
        expect(stale.locator("#review-select")).to_have_attribute("aria-invalid", "true")
        stale.screenshot(path=str(ARTIFACTS / "article-review-conflict.png"))
        stale.select_option("#review-select", "approved")
        expect(stale.locator("#review-error")).to_be_hidden()
        stale.click("#review-save")
        expect(stale.locator("#review-said")).to_have_text("Review status: approved.")

        # A reviewer sees the status but has no control to change it; the queue shows it too.
        rita = _desk_user(browser, desk, "rita", problems)
        rita.goto(article_url)
        expect(rita.locator("#review-status")).to_have_text("approved")
        expect(rita.locator("#review-form")).to_have_count(0)
        rita.goto(f"{desk.url}/")
        row = rita.locator("table.queue tbody tr", has_text="Empty homes")
        expect(row.locator(".review")).to_have_text("approved")
        unexpected = [p for p in problems if "status of 412" not in p]
        assert not unexpected, unexpected


def test_a_reviewer_changes_their_password_and_their_other_session_ends(desk):
    from playwright.sync_api import expect

    subprocess.run([CLAIMDESK, "users", "create", "nora", "--role", "reviewer", "--password-stdin"],
                   input=PASSWORD + "\n", env=desk.env, cwd=desk.log.parent, check=True, capture_output=True,
                   text=True, timeout=60)
    new_password = "a much longer and brand-new passphrase"
    with _chromium() as browser:
        problems: list[str] = []
        laptop = _watch(browser.new_context(viewport=DESKTOP).new_page(), problems)
        phone = _watch(browser.new_context(viewport=PHONE).new_page(), problems)
        for page in (laptop, phone):
            _log_in(page, desk.url, "nora")

        laptop.click("a.who")
        expect(laptop).to_have_url(f"{desk.url}/account")
        laptop.fill("#current_password", PASSWORD)
        laptop.fill("#new_password", new_password)
        laptop.fill("#new_password_again", new_password + " typo")
        laptop.click("button:has-text('Change password')")
        expect(laptop.locator("#new_password_again-error")).to_have_text(
            "This does not match the new password.")
        expect(laptop.locator("#new_password_again")).to_have_attribute("aria-invalid", "true")
        laptop.screenshot(path=str(ARTIFACTS / "account-error.png"))
        laptop.fill("#current_password", PASSWORD)
        laptop.fill("#new_password", new_password)
        laptop.fill("#new_password_again", new_password)
        laptop.click("button:has-text('Change password')")
        expect(laptop.locator("#account-status")).to_contain_text("Password changed")

        laptop.goto(f"{desk.url}/")
        expect(laptop.locator("a.who")).to_contain_text("nora")
        phone.goto(f"{desk.url}/")
        expect(phone).to_have_url(re.compile(r"/login"))
        phone.fill("#username", "nora")
        phone.fill("#password", new_password)
        phone.click("button:has-text('Log in')")
        phone.wait_for_url(f"{desk.url}/")
        # The mismatch above answers 422, which Chromium logs as a failed load.
        unexpected = [p for p in problems if "status of 422" not in p]
        assert not unexpected, unexpected


def test_a_badge_shows_the_verdict_changed_last_after_a_save(desk):
    """A reviewer edits their older annotation under an editor's newer one: the badge follows the edit."""
    from playwright.sync_api import expect

    with _chromium() as browser:
        problems: list[str] = []
        rita = _desk_user(browser, desk, "rita", problems)
        article_url = _add_article(rita, title="Flooded homes",
                                   text="Officials said 60 homes flooded in the storm. The mayor said roads closed.")
        _open_claim(rita, 2)
        claim_id = rita.locator(".claim-item.is-current").get_attribute("data-claim")
        rita.keyboard.press("3")
        rita.keyboard.press("Control+Enter")
        expect(rita.locator("#save-status")).to_contain_text("Saved claim 2: misleading")

        # The editor adds a newer annotation of their own through the API.
        eddie = _desk_user(browser, desk, "eddie", problems)
        eddie.goto(article_url)
        status = eddie.evaluate(f"Desk.api('POST', '/api/v1/claims/{claim_id}/annotations', "
                                "{verdict: 'accurate'}).then((r) => r.status)")
        assert status == 201

        rita.reload()
        expect(rita.locator(f"#claim-{claim_id} .badge")).to_have_text("accurate")
        _open_claim(rita, 2)  # her own annotation opens in the form
        rita.keyboard.press("4")
        rita.keyboard.press("Control+Enter")
        expect(rita.locator("#save-status")).to_contain_text("Saved claim 2: inaccurate")
        expect(rita.locator(f"#claim-{claim_id} .badge")).to_have_text("inaccurate")
        rita.reload()
        expect(rita.locator(f"#claim-{claim_id} .badge")).to_have_text("inaccurate")
        assert not problems, problems
