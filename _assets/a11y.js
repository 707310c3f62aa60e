// Accessibility fixes checked by the axe-core audit (tests/book/test_browser.py).
// WCAG 2.5.3 (label in name): a control's accessible name must contain its visible
// text. The theme's search buttons show "Search Ctrl+K" but are named "Search", and
// its colour-mode button shows an icon titled Light, Dark or System but is named
// "Color mode".
function nameColorModeButton(b) {
  // the titles of the icons it shows now, after "Color mode:"
  const shown = [...b.querySelectorAll("svg title")]
    .filter((t) => t.parentElement.getClientRects().length > 0)
    .map((t) => t.textContent.trim());
  b.setAttribute("aria-label", ["Color mode:", ...shown].join(" "));
}

window.addEventListener("load", () => {
  document.querySelectorAll(".search-button-field[aria-label]").forEach((b) => {
    b.removeAttribute("aria-label"); // the name is then the visible text itself
  });
  document.querySelectorAll(".theme-switch-button").forEach((b) => {
    nameColorModeButton(b);
    b.addEventListener("click", () => setTimeout(() => nameColorModeButton(b), 0));
  });
});
