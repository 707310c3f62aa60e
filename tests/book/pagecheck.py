"""Open built HTML pages in headless Chromium, as readers get them, and report problems.

The pages load MathJax from its CDN, which the test machine cannot reach; requests for
it are answered from a local copy of the npm package ``mathjax@3`` (route interception),
so the page under test is the page readers get. Other off-site requests are blocked
and ignored (they are not part of the page's content). Used by test_browser.py.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATHJAX_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/npm/mathjax@3/(.+)$")
CHROMIUM_CANDIDATES = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    env = os.environ.get("SSL_NOTES_CHROMIUM")
    for c in ([env] if env else []) + list(CHROMIUM_CANDIDATES):
        if c and Path(c).exists():
            return c
    return shutil.which("chromium")


def find_axe() -> Path | None:
    """The npm package axe-core's browser build (``npm install --prefix .cache/node
    axe-core``), which the accessibility audit injects into each page."""
    for base in (
        os.environ.get("SSL_NOTES_AXE"),
        ROOT / ".cache/node/node_modules/axe-core",
    ):
        if base and (Path(base) / "axe.min.js").exists():
            return Path(base) / "axe.min.js"
    return None


def find_mathjax() -> Path | None:
    for base in (
        os.environ.get("SSL_NOTES_MATHJAX"),
        ROOT / ".cache/node/node_modules/mathjax",
    ):
        if base and (Path(base) / "es5" / "tex-mml-chtml.js").exists():
            return Path(base)
    return None


@dataclass
class PageReport:
    url: str
    math_nodes: int = 0
    typeset: int = 0
    merrors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    overflows: list[str] = field(default_factory=list)
    axe_violations: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        out = [f"MathJax error: {m}" for m in self.merrors]
        if self.typeset < self.math_nodes:
            out.append(f"only {self.typeset} of {self.math_nodes} formulas typeset")
        out += [f"image not loaded: {s}" for s in self.broken_images]
        out += [f"failed request: {r}" for r in self.failed_requests]
        out += [f"JavaScript error: {e}" for e in self.js_errors]
        return out

    def overflow_problems(self) -> list[str]:
        return [f"wider than the text column: {o}" for o in self.overflows]

    def accessibility_problems(self) -> list[str]:
        return [f"axe-core: {v}" for v in self.axe_violations]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


class Site:
    """Serve a folder on 127.0.0.1 (an ephemeral port) for a with-block."""

    def __init__(self, folder: Path):
        handler = functools.partial(_Quiet, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> Site:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


_IMAGES_LOADED = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
}"""

_MATHJAX_DONE = """async () => {
  if (!document.querySelector('script[src*="mathjax"]')) return false;
  for (let k = 0; k < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); k++)
    await new Promise(r => setTimeout(r, 50));
  await MathJax.startup.promise;
  return true;
}"""


# What a reader sees clipped (needs a sideways scroll) at the page's width: a display
# equation, a code cell or a printed output whose content is wider than its box, or
# whose
# box is wider than the article's text column.
OVERFLOW_SELECTORS = ("mjx-container[display]", ".cell_input pre", ".cell_output pre")
_OVERFLOWS = """(selectors) => {
  const column = document.querySelector('article.bd-article') || document.querySelector('main');
  const right = column ? column.getBoundingClientRect().right : window.innerWidth;
  const out = [];
  for (const sel of selectors) {
    document.querySelectorAll(sel).forEach((el, i) => {
      if (el.closest('details:not([open])') || el.offsetParent === null) return;
      const box = el.getBoundingClientRect();
      const clipped = el.scrollWidth > el.clientWidth + 1;
      const sticks_out = box.right > right + 1;
      if (clipped || sticks_out) {
        const text = (el.textContent || '').trim().split('\\n')[0].slice(0, 60);
        out.push(`${sel} #${i}: ${el.scrollWidth}px in ${el.clientWidth}px ` +
                 `(column right ${Math.round(right)}, box right ${Math.round(box.right)}): ${text}`);
      }
    });
  }
  return out;
}"""


#: WCAG 2.0/2.1 levels A and AA; only these impacts fail the audit.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_IMPACTS = ("serious", "critical")
_AXE_RUN = """async ([tags, impacts]) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return r.violations.filter(v => impacts.includes(v.impact)).map(v =>
    `${v.id} (${v.impact}, ${v.nodes.length}x): ${v.help}; first at ` +
    v.nodes[0].target.join(' '));
}"""


def _context(browser, site: Site, mathjax: Path):
    """A 1280 px browser context that serves the site, answers MathJax's CDN from the
    local copy, and blocks every other off-site request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(r):
        url = r.request.url
        if url.startswith(site.base):
            return r.continue_()
        m = MATHJAX_CDN.match(url)
        if m:
            local = mathjax / m.group(1).split("?")[0]
            if local.exists():
                return r.fulfill(path=str(local))
            return r.fulfill(status=404, body="not in the local mathjax copy")
        return r.abort()  # off-site, not part of the page under test

    context.route("**/*", route)
    return context


def check_pages(
    browser,
    site: Site,
    pages: list[str],
    mathjax: Path,
    screenshots: dict[str, Path] | None = None,
    check_overflow: bool = True,
    axe: Path | None = None,
) -> list[PageReport]:
    """Load each page (path relative to the site root) and collect a PageReport."""
    reports = []
    context = _context(browser, site, mathjax)
    for rel in pages:
        rep = PageReport(site.base + rel)
        page = context.new_page()
        page.on("pageerror", lambda e, rep=rep: rep.js_errors.append(str(e)))
        page.on(
            "requestfailed",
            lambda req, rep=rep: (
                rep.failed_requests.append(req.url)
                if req.url.startswith(site.base) or MATHJAX_CDN.match(req.url)
                else None
            ),
        )
        page.on(
            "response",
            lambda resp, rep=rep: (
                rep.failed_requests.append(f"{resp.status} {resp.url}")
                if resp.status >= 400
                and (resp.url.startswith(site.base) or MATHJAX_CDN.match(resp.url))
                else None
            ),
        )
        page.goto(rep.url, wait_until="load")
        has_math = page.evaluate(_MATHJAX_DONE)
        rep.math_nodes = page.locator(".math").count()
        if has_math:
            rep.typeset = page.locator(".math:has(mjx-container)").count()
        rep.merrors = [
            page.locator("mjx-merror").nth(i).get_attribute("data-mjx-error")
            or "merror"
            for i in range(page.locator("mjx-merror").count())
        ]
        rep.broken_images = page.evaluate(_IMAGES_LOADED)
        if check_overflow:
            rep.overflows = page.evaluate(_OVERFLOWS, list(OVERFLOW_SELECTORS))
        if axe is not None:
            page.add_script_tag(path=str(axe))
            rep.axe_violations = page.evaluate(_AXE_RUN, [AXE_TAGS, list(AXE_IMPACTS)])
        if screenshots and rel in screenshots:
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(screenshots[rel]))
        page.close()
        reports.append(rep)
    context.close()
    return reports


def hover_tip(browser, site: Site, page_rel: str, link_selector: str, mathjax: Path):
    """Hover the first link matching ``link_selector`` on a page and return the
    tooltip that appears (sphinx-tippy): its text and how many typeset formulas
    (``mjx-container``) it holds, or None when no tip shows within 5 s."""
    context = _context(browser, site, mathjax)
    page = context.new_page()
    try:
        page.goto(site.base + page_rel, wait_until="load")
        page.evaluate(_MATHJAX_DONE)
        link = page.locator(link_selector).first
        link.scroll_into_view_if_needed()
        link.hover()
        try:
            page.wait_for_selector(".tippy-box", state="visible", timeout=5000)
        except Exception:
            return None
        page.wait_for_function(
            "() => !document.querySelector('.tippy-box .math') || "
            "document.querySelector('.tippy-box mjx-container')",
            timeout=10000,
        )
        return page.evaluate(
            "() => { const t = document.querySelector('.tippy-box');"
            " return {text: t.innerText,"
            " typeset: t.querySelectorAll('mjx-container').length}; }"
        )
    finally:
        context.close()
