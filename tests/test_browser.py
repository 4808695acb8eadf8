"""The default theme in a real headless Chromium: keyboard, no JavaScript, small screens, dark mode."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import errors, run_build

REPO = Path(__file__).resolve().parent.parent
PAGES = (
    "",
    "groups/",
    "groups/women-in-academic-medicine-peer-circle/",
    "start-a-group/",
    "tags/",
    "archive/",
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("browser") / "public"
    assert errors(run_build(REPO, out=out, base_url="http://127.0.0.1/")) == []
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(browser, site_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    box = page.locator("a.skip-link").bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 50  # visible when focused
    page.keyboard.press("Enter")
    # (the fragment's navigation may land after the key press returns, on a busy machine)
    page.wait_for_url(site_url + "#main", timeout=5000)
    page.wait_for_function("document.activeElement.id === 'main'", timeout=5000)
    context.close()


def test_directory_is_browsable_without_javascript(browser, site_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + "groups/")
    page.get_by_role("link", name="Online").first.click()
    assert page.url.endswith("/groups/formats/online/")
    assert page.locator("main h1").inner_text().strip() != ""
    page.locator("main a[href^='/groups/'][href$='/']").filter(
        has_not_text="Group directory"
    ).first.click()
    assert page.locator("main h1").count() == 1
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_horizontal_scrolling_on_a_phone(browser, site_url, path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_dark_mode_changes_the_colours(browser, site_url):
    colours = []
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(site_url)
        colours.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        context.close()
    assert colours[0] != colours[1]
