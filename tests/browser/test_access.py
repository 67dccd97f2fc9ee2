"""Multi-agency access in Debian's Chromium: scoping by URL, API and search; the audit page; lock-out; the CSP.

Like test_journey.py, the server is a real ``runserver`` subprocess on its own SQLite file. It
runs with DEBUG off (``--insecure`` serves the static files) so error pages are the production
ones, and the browser enforces the Content-Security-Policy: any violation fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import (
    SCREENSHOTS,
    assert_accessible,
    chromium,
    csp_checked_page,
    manage,
    running_server,
    server_env,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "access-test-password-2026"

SETUP = f"""
from django.contrib.auth import get_user_model
from saferhood.accounts.models import Agency, Membership, Role
from saferhood.accounts.services import create_note
User = get_user_model()
def person(name, agency, role, **extra):
    user = User.objects.create_user(name, password={PASSWORD!r}, **extra)
    membership = Membership.objects.create(user=user, agency=Agency.objects.get(slug=agency))
    membership.roles.set([Role.objects.get(code=role)])
    return user
owner = person("hal", "housing", "officer")
person("pat", "police", "officer")
person("lou", "police", "viewer")
person("sid", "csp-team", "system_admin", is_staff=True, is_superuser=True)
person("ada", "csp-team", "system_admin", is_staff=True, is_superuser=True)
note = create_note(by_user=owner, owner_agency=owner.membership.agency, subject_name="Sam Victim",
                   subject_ref="H-1", text="Lives at 1 Secret Road")
print(note.pk)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    db = tmp_path_factory.mktemp("access-db") / "saferhood.sqlite3"
    env = server_env(db, debug=False)
    manage(env, "migrate", "--no-input", "-v", "0")
    note_id = int(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    with running_server(env, tmp_path_factory.mktemp("access-log")) as base:
        yield base, note_id


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, server):
    base, _ = server
    with csp_checked_page(browser, base) as page:
        yield page


def sign_in(page, username: str, password: str = PASSWORD, next_url: str = "/notes/") -> None:
    page.goto(f"/sign-in/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_officer_of_another_agency_cannot_open_the_record_and_the_attempt_is_audited(page, server) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    _, note_id = server
    sign_in(page, "pat")
    assert page.url.endswith("/notes/")

    # By URL: not found (existence is not revealed).
    response = page.goto(f"/notes/{note_id}/")
    assert response.status == 404
    assert "1 Secret Road" not in page.content()
    # By API, with the same signed-in session.
    api = page.request.get(f"/api/v1/notes/{note_id}")
    assert api.status == 404 and "Sam" not in api.text()
    assert page.request.get("/api/v1/notes?q=Sam").json() == []
    # By search.
    page.goto("/notes/")
    page.get_by_label("Person's name").fill("Sam")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_test_id("result-count").inner_text() == "0 notes found"
    assert page.get_by_test_id("nav-audit").count() == 0  # officers have no audit page
    page.get_by_test_id("sign-out").click()

    # A system admin sees the refused attempts in the audit…
    sign_in(page, "sid", next_url="/audit/")
    page.get_by_label("Action").select_option("denied")
    page.get_by_label("Record id").fill(str(note_id))
    page.get_by_role("button", name="Search").click()
    rows = page.locator(f'[data-testid="audit-events"] tr[data-action="denied"][data-object-id="{note_id}"]')
    assert rows.count() == 2
    assert {r.get_attribute("data-username") for r in rows.all()} == {"pat"}
    page.screenshot(path=SCREENSHOTS / "access-audit-denied.png", full_page=True)
    page.goto("/audit/?user=pat&action=search")
    assert page.locator('tr[data-action="search"][data-username="pat"]').count() == 2

    # …and may open the record itself.
    page.goto(f"/notes/{note_id}/")
    assert page.get_by_test_id("note-text").inner_text() == "Lives at 1 Secret Road"
    assert page.request.get(f"/api/v1/notes/{note_id}").json()["subject_name"] == "Sam Victim"


def test_the_admin_and_the_two_factor_page_work_under_the_csp(page) -> None:
    sign_in(page, "sid", next_url="/account/two-factor/")
    qr = page.get_by_test_id("totp-qr")
    assert qr.is_visible() and qr.evaluate("img => img.naturalWidth") > 0
    # js-enabled.js (formerly inline) ran: GOV.UK Frontend's JavaScript styles apply.
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    for path in ("/admin/", "/admin/auth/user/"):
        assert page.goto(path).status == 200
    page.locator("#result_list tbody th a").first.click()  # the change form and its widgets' scripts
    assert page.locator("#id_username").input_value()
    # The admin holds no personal-data pages (issue 13): notes are reached through scoped, audited pages.
    assert page.goto("/admin/accounts/confidentialnote/").status == 404


def _code(secret: str, drift: int = 0) -> str:
    import base64

    from django_otp.oath import totp

    return f"{totp(base64.b32decode(secret), drift=drift):06d}"


def test_the_admin_is_reached_only_through_sign_in_with_the_code(page) -> None:
    sign_in(page, "ada", next_url="/account/two-factor/")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert "Two-factor sign-in is on" in page.get_by_test_id("message").inner_text()
    page.get_by_test_id("sign-out").click()

    page.goto("/admin/")  # the admin's own sign-in form is gone: Saferhood's asks
    assert page.url.endswith("/sign-in/?next=%2Fadmin%2F")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/sign-in/code/")
    assert page.goto("/admin/").url.endswith("/sign-in/?next=%2Fadmin%2F")  # not signed in yet
    page.goto("/sign-in/code/")  # the password step is still pending
    page.get_by_label("Code from your authenticator app").fill(_code(secret, drift=1))
    page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()  # waits for the page


def test_five_failed_sign_ins_make_this_browser_wait(page) -> None:
    for attempt in range(1, 6):
        sign_in(page, "lou", password=f"wrong-password-{attempt}")
        error = page.get_by_test_id("error-summary").inner_text()
        if attempt < 5:
            assert "Enter a correct username and password" in error
    assert "Too many failed sign-ins for this username from here. Try again after" in error
    # The right password no longer works from here while the wait lasts.
    sign_in(page, "lou")
    assert "Try again after" in page.get_by_test_id("error-summary").inner_text()
    assert "/sign-in/" in page.url
    page.screenshot(path=SCREENSHOTS / "access-locked.png")


def test_the_access_pages_are_accessible(browser, server) -> None:
    """axe-core finds no WCAG 2.2 A/AA violation, with the CSP in force."""
    base, note_id = server
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base)
    page = context.new_page()
    try:
        page.goto("/sign-in/")
        assert_accessible(page)
        sign_in(page, "sid", next_url="/notes/?q=Sam")
        for path in (
            "/notes/?q=Sam",
            f"/notes/{note_id}/",
            "/audit/",
            "/account/two-factor/",
            "/account/password/",
            "/agency/people/",
        ):
            page.goto(path)
            assert_accessible(page)
    finally:
        context.close()
