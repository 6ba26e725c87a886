"""Keyboard use: the skip link works, every control shows where the focus is (at 1280 px
and 375 px), and the header language switcher can be used from the keyboard on a phone."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import MOBILE, make_user, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# For the focused element: is a focus indicator drawn, and is it on screen? USWDS draws the
# ring of a checkbox or radio button on its label (the input itself is visually hidden).
_FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const visible = (style) => style && style.outlineStyle !== 'none'
      && parseFloat(style.outlineWidth) >= 2;
  let ring = visible(getComputedStyle(el)) || getComputedStyle(el).boxShadow !== 'none';
  let box = el.getBoundingClientRect();
  if (el.matches('.usa-checkbox__input, .usa-radio__input')) {
    const label = document.querySelector(`label[for="${el.id}"]`);
    ring = visible(getComputedStyle(label, '::before'));
    box = label.getBoundingClientRect();
  }
  const name = (el.getAttribute('aria-label') || el.innerText || el.name || el.id || el.tagName)
      .trim().slice(0, 40);
  return {name, ring, left: box.left, right: box.right, width: box.width, height: box.height};
}"""


def _tab_through(page: Page, steps: int) -> list[str]:
    problems = []
    width = page.viewport_size["width"]  # type: ignore[index]
    for _ in range(steps):
        page.keyboard.press("Tab")
        state = page.evaluate(_FOCUS_STATE)
        if state is None:
            break
        if not state["ring"]:
            problems.append(f"{width}px: no visible focus indicator on {state['name']!r}")
        if state["left"] < 0 or state["right"] > width or not state["width"]:
            problems.append(f"{width}px: focused {state['name']!r} is off screen: {state}")
    return problems


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_focus_is_always_visible(page: Page, viewport: str) -> None:
    if viewport == "mobile":
        page.set_viewport_size(MOBILE)
    make_user("keyboard@example.org")
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    problems = _tab_through(page, 25)
    sign_in(page, "keyboard@example.org")
    page.get_by_role("main").get_by_role("link", name="Your profile").click()
    page.locator("body").focus()
    problems += _tab_through(page, 40)
    assert not problems, "\n".join(problems)


def test_language_switcher_by_keyboard_on_a_phone(page: Page) -> None:
    page.set_viewport_size(MOBILE)
    page.goto("/")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.lang") == "es":
            break
    spanish = page.get_by_role("button", name="Español")
    expect(spanish).to_be_focused()
    expect(spanish).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="Español")).to_have_attribute("aria-current", "true")
