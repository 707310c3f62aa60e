// Accessibility fixes checked by the axe-core audit (tests/book/test_browser.py),
// for markup that the theme and extensions generate.
//
// WCAG 2.5.3 (label in name): a control's accessible name must contain its visible
// text. The theme's search buttons show "Search Ctrl+K" but are named "Search"; its
// colour-mode button shows an icon titled Light, Dark or System but is named "Color
// mode"; the folds of hidden code cells show "Show code cell source" but are named
// "Toggle hidden content".
function nameColorModeButton(b) {
  // "Color mode:" and the titles of the icons it shows now
  const shown = [...b.querySelectorAll("svg title")]
    .filter((t) => t.parentElement.getClientRects().length > 0)
    .map((t) => t.textContent.trim());
  const label = ["Color mode:", ...shown].join(" ");
  if (b.getAttribute("aria-label") !== label) b.setAttribute("aria-label", label);
}

function visibleText(el) {
  return (el.innerText || "").replace(/\s+/g, " ").trim();
}

function fixLabels() {
  document.querySelectorAll(".search-button-field[aria-label]").forEach((b) => {
    b.removeAttribute("aria-label"); // the name is then the visible text itself
  });
  document.querySelectorAll("summary[aria-label]").forEach((s) => {
    const text = visibleText(s);
    if (text && !s.getAttribute("aria-label").includes(text)) {
      s.removeAttribute("aria-label");
    }
  });
  // sphinxcontrib-bibtex marks the bibliography role="list" but its entries
  // role="doc-biblioentry", which is not a list item (ARIA required children).
  document.querySelectorAll('.citation-list[role="list"]').forEach((l) => {
    l.removeAttribute("role");
  });
}

window.addEventListener("load", () => {
  fixLabels();
  document.querySelectorAll(".theme-switch-button").forEach((b) => {
    nameColorModeButton(b);
    // the icons are drawn (and swapped on a click) by scripts that run later
    new MutationObserver(() => nameColorModeButton(b)).observe(b, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["style", "class"],
    });
    b.addEventListener("click", () => setTimeout(() => nameColorModeButton(b), 0));
  });
  // folds added after load (togglebutton) get the same treatment
  setTimeout(fixLabels, 500);
});
