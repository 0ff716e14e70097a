"""Browser tests: Playwright driving Debian's Chromium against the live test server.

The live server answers with the project's Content-Security-Policy (csp.middleware.CSPMiddleware is in
the settings), and every page the tests open records what the policy blocks: a test that shows a page
whose script, style or image the policy refuses fails at teardown.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Runs in every document and frame before the page's own scripts: reports each securitypolicyviolation
# to the test (an exposed binding, which survives navigations) and keeps it in window.__cspViolations.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    page: event.documentURI,
    sample: event.sample,
  };
  window.__cspViolations.push(violation);
  if (window.__reportCspViolation) window.__reportCspViolation(violation);
});
"""
# Chromium's console messages for what a policy blocks ("Refused to execute inline script because it
# violates the following Content Security Policy directive: ...").
CSP_CONSOLE_MARKERS = ("Content Security Policy", "Content-Security-Policy", "Refused to")


class CspViolations:
    """Collects the Content-Security-Policy violations of a browser context's pages."""

    def __init__(self, context):
        self.reported: list[str] = []
        context.expose_binding("__reportCspViolation", lambda source, violation: self._add_event(violation))
        context.add_init_script(CSP_LISTENER)
        context.on("page", self._watch_console)
        for page in context.pages:
            self._watch_console(page)

    @staticmethod
    def _describe(violation: dict) -> str:
        blocked = violation["blocked"] or "inline code"
        sample = f": {violation['sample']}" if violation.get("sample") else ""
        return f"{violation['directive']} blocked {blocked} on {violation['page']}{sample}"

    def _add_event(self, violation: dict) -> None:
        description = self._describe(violation)
        if description not in self.reported:
            self.reported.append(description)

    def _watch_console(self, page) -> None:
        def on_console(message) -> None:
            if any(marker in message.text for marker in CSP_CONSOLE_MARKERS):
                self.reported.append(f"console {message.type}: {message.text}")

        page.on("console", on_console)

    def check(self, page) -> None:
        """Fails the test if any page of the context reported a violation. The open page's own record is
        read too, for the events still on their way from the browser."""
        try:
            for violation in page.evaluate("window.__cspViolations || []"):
                self._add_event(violation)
        except Exception:  # a page mid-navigation or closed has nothing more to report
            pass
        if self.reported:
            pytest.fail("Content-Security-Policy violations:\n" + "\n".join(self.reported), pytrace=False)


@pytest.fixture(scope="module", autouse=True)
def _sync_orm_beside_playwright():
    """Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make around
    it are synchronous and safe, so Django's async guard is relaxed while the browser modules run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_sync_orm_beside_playwright):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs the Debian package 'chromium'.")
        pytest.skip("Chromium is not installed (apt-get install chromium) ")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def new_context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="es-PE", accept_downloads=True)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def page(browser, live_server):
    """A page of a fresh browser context; the test fails if the Content-Security-Policy blocked anything."""
    context = new_context(browser, live_server)
    violations = CspViolations(context)
    page = context.new_page()
    yield page
    try:
        violations.check(page)
    finally:
        context.close()


def log_in(page, username: str, password: str = "password") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Iniciar sesión").click()
