"""The course site (`make site`) as a reader meets it: every page opened in Debian's Chromium (Playwright).

The site is the one in $COURSE_SITE_HTML when set (`make test` builds it once from the notebooks nbval just
ran), else this test builds it with tools/build_site.py (reusing build/executed where it matches). Pages are
served from 127.0.0.1; any request to another host fails the test, since the site must work offline.
For every page: no broken link (file and #anchor), every image loads and has alt text, math rendered by
MathJax with no error and no TeX left as text, launch buttons for Colab and Binder on every notebook page
pointing at that notebook. Search finds a lesson. Screenshots go to screenshots/site/.
"""
import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

from lstm_course import course
from notebook_runner import ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))  # Debian's; the Pages workflow sets Chrome
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "screenshots" / "site"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the site test, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if os.environ.get("COURSE_SITE_HTML"):
        html = Path(os.environ["COURSE_SITE_HTML"]).resolve()
        assert (html / "index.html").exists(), f"COURSE_SITE_HTML={html} has no index.html"
        return html
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--executed",
                          str(ROOT / "build" / "executed"), "--out", str(out)],
                         capture_output=True, text=True, timeout=3600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out / "html"


@pytest.fixture(scope="module")
def pages(site) -> list[Path]:
    found = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    assert found
    return found


def notebook_pages(site) -> dict:
    """HTML page -> the notebook it was built from (repository path)."""
    return {site / p.relative_to(ROOT).with_suffix(".html"): p.relative_to(ROOT).as_posix()
            for p in sorted((ROOT / "lessons").glob("*.ipynb")) + sorted((ROOT / "assignments").glob("*/*.ipynb"))}


def test_every_lesson_and_student_version_has_a_page_and_no_solution_does(site):
    missing = [rel for page, rel in notebook_pages(site).items() if not page.exists()]
    assert not missing, f"no page for {missing}"
    assert not (site / "solutions").exists(), "the site must not publish the solutions"
    index = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    linked = {urljoin("index.html", a["href"]).split("#")[0] for a in index.select("nav a[href], article a[href]")}
    unlinked = [rel for page, rel in notebook_pages(site).items() if page.relative_to(site).as_posix() not in linked]
    assert not unlinked, f"the home page does not link {unlinked}"


def test_the_pages_workflow_is_valid_and_publishes_the_built_site():
    """It cannot run here: check it against GitHub's workflow schema (bundled with check-jsonschema)."""
    workflow = ROOT / ".github" / "workflows" / "site.yml"
    run = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
                          "vendor.github-workflows", str(workflow)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    import yaml

    spec = yaml.safe_load(workflow.read_text())
    assert spec[True]["push"]["branches"] == [course.BRANCH]  # YAML reads the key `on` as True
    steps = [step.get("run", "") + step.get("uses", "") for step in spec["jobs"]["build"]["steps"]]
    assert any("make site" in s for s in steps) and any("make site-test" in s for s in steps)
    upload = next(s for s in spec["jobs"]["build"]["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "build/site/html"
    assert spec["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_no_broken_links_or_anchors(site, pages):
    ids = {}
    broken = []
    for page in pages:
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for a in soup.select("a[href]"):
            href = a["href"]
            parsed = urlparse(href)
            if parsed.scheme in ("http", "https", "mailto") or href.startswith("javascript:"):
                continue
            target = (page.parent / unquote(parsed.path)).resolve() if parsed.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {href} (no such file)")
                continue
            if parsed.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = {e["id"] for e in BeautifulSoup(target.read_text(), "html.parser").select("[id]")}
                if unquote(parsed.fragment) not in ids[target]:
                    broken.append(f"{page.relative_to(site)}: {href} (no #{parsed.fragment})")
    assert not broken, "broken links:\n" + "\n".join(broken[:40])


def test_launch_buttons_open_each_notebook_in_colab_and_binder(site):
    for page, rel in notebook_pages(site).items():
        hrefs = {a["href"] for a in BeautifulSoup(page.read_text(), "html.parser").select("a[href]")}
        assert course.colab_url(rel) in hrefs, f"{rel}: no Colab launch button ({course.colab_url(rel)})"
        assert course.binder_url(rel) in hrefs, f"{rel}: no Binder launch button ({course.binder_url(rel)})"


def _require_browser():
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}: `sudo apt-get install -y chromium` "
                     "(.ci/run does this in CI)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the Python package playwright is missing: `pip install -r requirements-dev.txt`")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser_page(served):
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        offsite, failed = [], []

        def route(request_route):
            if urlparse(request_route.request.url).hostname == "127.0.0.1":
                request_route.continue_()
            else:
                offsite.append(request_route.request.url)
                request_route.abort()

        page.route("**/*", route)
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: failed.append(f"failed {r.url}")
                if urlparse(r.url).hostname == "127.0.0.1" else None)
        try:
            yield page, offsite, failed
        finally:
            browser.close()


# MathJax 2: wait until it has typeset the page, then report what it could not render.
MATH_JS = """async () => {
  if (window.MathJax && MathJax.Hub) { await new Promise(done => MathJax.Hub.Queue(done)); }
  const math = [...document.querySelectorAll('article .math.notranslate')];
  const unrendered = math.filter(m => !m.querySelector('script[type^="math/tex"]')).map(m => m.textContent.slice(0, 80));
  const errors = [...document.querySelectorAll('.MathJax_Error, merror, .mjx-merror')].map(e => e.textContent.slice(0, 80));
  const clone = document.querySelector('article')?.cloneNode(true);
  clone?.querySelectorAll('pre, code, script, .MathJax_Preview, .MathJax_CHTML, .MathJax').forEach(e => e.remove());
  const text = clone ? clone.textContent : '';
  const rawTex = (text.match(/\\$\\$[^$]+\\$\\$|\\$[^$\\s][^$]*\\\\[a-zA-Z]+[^$]*\\$|\\\\(begin|frac|sum|partial)\\b/g) || []).slice(0, 5);
  return {count: math.length, mathjax: !!window.MathJax, unrendered, errors, rawTex};
}"""
IMAGES_JS = """() => [...document.querySelectorAll('article img')].map(i => ({
  src: i.getAttribute('src'), alt: (i.getAttribute('alt') || '').trim(), ok: i.complete && i.naturalWidth > 0}))"""


def test_every_page_renders_offline_with_images_alt_text_and_math(site, pages, served, browser_page):
    page, offsite, failed = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems, math_pages, figures = [], 0, 0
    for path in pages:
        rel = path.relative_to(site).as_posix()
        failed.clear()
        page.goto(f"{served}/{rel}", wait_until="load")
        page.wait_for_load_state("networkidle")
        images = page.evaluate(IMAGES_JS)
        figures += len(images)
        problems += [f"{rel}: image does not load: {i['src']}" for i in images if not i["ok"]]
        problems += [f"{rel}: image without alt text: {i['src']}" for i in images if not i["alt"]]
        math = page.evaluate(MATH_JS)
        if math["count"]:
            math_pages += 1
            problems += [] if math["mathjax"] else [f"{rel}: has math but MathJax did not load"]
        problems += [f"{rel}: math not rendered: {m!r}" for m in math["unrendered"]]
        problems += [f"{rel}: MathJax error: {m!r}" for m in math["errors"]]
        problems += [f"{rel}: TeX left as text: {m!r}" for m in math["rawTex"]]
        problems += [f"{rel}: {f}" for f in failed]
        page.screenshot(path=str(SCREENSHOTS / (rel.replace("/", "__").removesuffix(".html") + ".png")))
    problems += [f"request to another host (the site must work offline): {u}" for u in sorted(set(offsite))]
    assert not problems, "\n".join(problems[:60])
    assert math_pages >= 1, "no page has math: is MathJax wired up?"
    assert figures >= 1, "no figure on any page"
    print(f"{len(pages)} pages, {figures} images, math on {math_pages} pages")


def test_search_finds_a_lesson_and_pages_link_to_the_next(site, served, browser_page):
    page, _, _ = browser_page
    page.goto(f"{served}/search.html?q=forget+gate", wait_until="load")
    page.wait_for_selector("#search-results ul.search li, .search li", timeout=30_000)
    hits = page.locator("#search-results li a, .search li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("lessons/" in (h or "") for h in hits), f"search for 'forget gate' found no lesson: {hits}"
    page.screenshot(path=str(SCREENSHOTS / "search.png"))
    lessons = sorted((ROOT / "lessons").glob("*.ipynb"))
    page.goto(f"{served}/lessons/{lessons[0].stem}.html", wait_until="load")
    next_link = page.locator("a.right-next").first.get_attribute("href")
    assert next_link and lessons[1].stem in next_link, f"lesson 1 does not link to lesson 2 ({next_link})"


# ------------------------------------------------------------------ the builder's rules, without a browser
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402


def _executed_notebook():
    import nbformat

    badge = nbformat.v4.new_markdown_cell("[![Open In Colab](badge.svg)](url)", metadata={"tags": ["course-header"]})
    setup = nbformat.v4.new_code_cell("import lstm_course", metadata={"tags": ["course-header"]})
    title = nbformat.v4.new_markdown_cell("# Lesson 9 — A title")
    widget = nbformat.v4.new_code_cell("explorer", execution_count=2, outputs=[nbformat.v4.new_output(
        "execute_result", execution_count=2,
        data={build_site.WIDGET: {"model_id": "abc", "version_major": 2, "version_minor": 0},
              "image/png": "iVBORw0KGgo=", "text/plain": "distance 40: LSTM 1.00, SimpleRNN 0.52"})])
    return nbformat.v4.new_notebook(cells=[badge, setup, title, widget])


def test_a_page_has_no_badge_opens_with_its_title_and_shows_each_widget_as_a_described_picture():
    page = build_site.for_the_page(_executed_notebook())
    assert [c.cell_type for c in page.cells] == ["markdown", "code", "code"]
    assert page.cells[0].source.startswith("# Lesson 9")
    out = page.cells[2].outputs[0]
    assert build_site.WIDGET not in out.data, "a static page cannot run a widget"
    assert out.metadata["image/png"]["alt"].endswith("distance 40: LSTM 1.00, SimpleRNN 0.52")


def test_the_builder_refuses_to_publish_failures_and_reuses_only_matching_copies(tmp_path):
    import nbformat

    nb = _executed_notebook()
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="PASS: a\nFAIL: b -- hint: c\n"),
                           nbformat.v4.new_output("stream", name="stderr", text="Traceback ...")]
    found = build_site.problems(nb, "x.ipynb")
    assert found == ["x.ipynb: FAIL: b -- hint: c", "x.ipynb: stderr: Traceback ..."]
    lesson = sorted((ROOT / "lessons").glob("*.ipynb"))[0]
    copy = tmp_path / lesson.relative_to(ROOT)
    copy.parent.mkdir(parents=True)
    source = nbformat.read(str(lesson), as_version=4)
    nbformat.write(source, str(copy))
    assert build_site.reusable_copy(lesson, tmp_path) is not None
    source.cells[-1].source += "\n# edited since the run"
    nbformat.write(source, str(copy))
    assert build_site.reusable_copy(lesson, tmp_path) is None, "a copy of other cells must be executed again"
