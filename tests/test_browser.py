"""The course as a learner meets it: JupyterLab in a real browser (Debian's Chromium driven by Playwright).

One JupyterLab server on 127.0.0.1 (random port, token, throw-away config, settings and runtime folders)
serves a copy of the lessons, so nothing is saved into the repository. For each of lessons 1-4 the test
opens the notebook, runs it with JupyterLab's "Run All Cells" menu item, waits for the kernel to finish,
then moves every widget the way a learner would (drags and arrow keys on sliders, typing and Enter in text
boxes, a drop-down) and checks that what the widget shows changed. Screenshots go to screenshots/browser/.

Needs /usr/bin/chromium (`apt-get install chromium`) and the `playwright` package from PyPI; never
`playwright install`, which downloads its own browsers. Without them the test skips and says why, except
when the environment variable CI is set: there it fails, because CI must run it.
"""
import json
import os
import re
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

import local_jupyter
from notebook_runner import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "screenshots" / "browser"
RUN_ALL_TIMEOUT = 600  # s per lesson; a lesson takes up to ~90 s on an idle 2-core machine
CHANGE_TIMEOUT = 60  # s for a widget's output to change after a move


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test, but {reason}")
    pytest.skip(reason)


def _require_browser_tools():
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}: install it with "
                     "`sudo apt-get update && sudo apt-get install -y chromium` (.ci/run does this in CI)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the Python package playwright is missing: `pip install -r requirements-dev.txt` "
                     "(use Debian's Chromium; do not run `playwright install`)")


# ------------------------------------------------------------------ what to do in each lesson
# (explorer title, [(action, control, argument)]); every action must change what the explorer shows.
LESSONS = {
    "01_why_simple_rnns_forget.ipynb": [
        ("How far back can each model remember", [
            ("drag", "distance", -0.5),  # a fraction of the slider's width
            ("key", "distance", "ArrowRight"),
        ]),
    ],
    "02_inside_the_lstm.ipynb": [
        ("Set the gates by hand", [
            ("key", "forget", "ArrowRight"),
            ("drag", "candidate", 0.3),
            ("select", "word", "3: long"),
            ("key", "input", "ArrowLeft"),
        ]),
        ("The trained LSTM reading your text", [
            ("type", "text", "What a dull, boring film. I hated it."),
            ("type_error", "text", "   "),
        ]),
    ],
    "03_lstm_sentiment_classifier.ipynb": [
        ("Your own review through the classifier", [
            ("type", "text", "A dull plot, wooden acting and far too long. I want my money back."),
            ("type_error", "text", ""),
        ]),
    ],
    "04_next_word_prediction.ipynb": [
        ("Next words and generated text", [
            ("type", "prefix", "hello what"),
            ("key", "temperature", "ArrowLeft"),
            ("drag", "temperature", 0.4),
            ("type_error", "prefix", "hello world"),
        ]),
    ],
}

# For a quicker local run, e.g. BROWSER_LESSONS=01,04 pytest tests/test_browser.py
if os.environ.get("BROWSER_LESSONS"):
    LESSONS = {name: spec for name, spec in LESSONS.items()
               if name[:2] in os.environ["BROWSER_LESSONS"].replace(" ", "").split(",")}


# ------------------------------------------------------------------ the JupyterLab server


def _write_settings(settings_dir: Path):
    """JupyterLab user settings for a quiet, fully rendered page."""
    settings = {
        # render every cell (JupyterLab 4 otherwise only renders the cells in view)
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        # no news/update pop-ups over the notebook, and no saving into the copied lessons
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    }
    for name, values in settings.items():
        extension, plugin = name.rsplit("/", 1)
        path = settings_dir / extension / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    _require_browser_tools()
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "course"
    (root / "lessons").mkdir(parents=True)
    for name in LESSONS:
        shutil.copy(ROOT / "lessons" / name, root / "lessons" / name)
    settings = base / "settings"
    _write_settings(settings)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(base / "config"), "IPYTHONDIR": str(base / "ipython"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    with local_jupyter.running("lab", base, root, ["--ServerApp.open_browser=False",
                                                    f"--LabApp.user_settings_dir={settings}",
                                                    f"--LabApp.workspaces_dir={base / 'workspaces'}"],
                                env, "JupyterLab") as server:
        yield {**server, "root": root}


@pytest.fixture(scope="module")
def browser(jupyterlab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# ------------------------------------------------------------------ driving a notebook

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in front
PROMPTS_JS = f"() => [...document.querySelectorAll('{PANEL} .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim())"
STDERR_JS = f"""() => [...document.querySelectorAll('{PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                    .map(o => o.textContent.slice(0, 1500))"""


def _click_run_all(page):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _accept_kernel_dialog(page) -> bool:
    """JupyterLab asks which kernel to start when it has no session for the notebook (for example after
    an earlier test shut the kernels down); a learner would press "Select" on the default Python 3."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if dialog.count() and dialog.first.is_visible():
        dialog.locator(".jp-mod-accept").first.click()
        return True
    return False


def _run_all_and_wait(page, name):
    page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-CodeCell", timeout=120_000)
    deadline = time.monotonic() + 180
    while not page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']").count():
        _accept_kernel_dialog(page)
        if time.monotonic() > deadline:
            pytest.fail(f"{name}: the kernel did not become idle within 180 s")
        page.wait_for_timeout(500)
    page.wait_for_timeout(1000)
    _accept_kernel_dialog(page)  # the dialog can open just after the indicator turns idle
    _click_run_all(page)
    start = time.monotonic()
    # started: some prompt shows [*]; finished: none does and the kernel is idle again
    while time.monotonic() - start < RUN_ALL_TIMEOUT:
        if _accept_kernel_dialog(page):  # the run was swallowed by the dialog: start it again
            _click_run_all(page)
        prompts = page.evaluate(PROMPTS_JS)
        idle = page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        if prompts and not any("*" in p for p in prompts) and idle and re.search(r"\d", prompts[-1] or ""):
            break
        if page.evaluate(STDERR_JS) and not any("*" in p for p in prompts):
            break  # an error stopped the run
        page.wait_for_timeout(2000)
    else:
        pytest.fail(f"{name}: Run All did not finish within {RUN_ALL_TIMEOUT} s; prompts {page.evaluate(PROMPTS_JS)}")
    seconds = time.monotonic() - start
    errors = page.evaluate(STDERR_JS)
    assert not errors, f"{name}: the run wrote to stderr / raised:\n" + "\n---\n".join(errors)
    prompts = page.evaluate(PROMPTS_JS)
    unrun = [k for k, p in enumerate(prompts) if not re.search(r"\d", p)]
    assert not unrun, f"{name}: code cells {unrun} of {len(prompts)} did not run: {prompts}"
    return seconds


def _snapshot(explorer) -> str:
    """What the explorer shows: its text panel and its figure (the image source changes with the figure)."""
    text = explorer.locator(".lstm-course-text").inner_html()
    image = explorer.locator(".lstm-course-figure")
    source = image.get_attribute("src") if image.count() and image.is_visible() else ""
    return text + "|" + (source or "")


def _move(page, explorer, action, control_name, argument):
    control = explorer.locator(f".lstm-course-control-{control_name}")
    if action in ("drag", "key"):
        handle = control.locator(".noUi-handle, .ui-slider-handle").first  # ipywidgets 8 / 7
        if action == "key":
            handle.focus()
            page.keyboard.press(argument)
        else:
            track = control.locator(".noUi-target, .ui-slider").first.bounding_box()
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + argument * track["width"], y, steps=8)
            page.mouse.up()
    elif action == "select":
        control.locator("select").select_option(label=argument)
    elif action in ("type", "type_error"):
        box = control.locator("input, textarea").first
        box.fill(argument)
        box.press("Enter")
    else:
        raise ValueError(f"unknown action {action}")


def _wait_for_change(page, explorer, before, what):
    deadline = time.monotonic() + CHANGE_TIMEOUT
    while time.monotonic() < deadline:
        if _snapshot(explorer) != before:
            return
        page.wait_for_timeout(200)
    pytest.fail(f"{what}: the widget's output did not change within {CHANGE_TIMEOUT} s")


def test_every_lesson_runs_in_jupyterlab_and_its_widgets_react(jupyterlab, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    timings = {}
    try:
        for name, explorers in LESSONS.items():
            stem = name.split("_")[0]
            page = context.new_page()
            # a fresh workspace per lesson, so that only this notebook is open
            page.goto(f"{jupyterlab['url']}/lab/workspaces/lesson{stem}/tree/lessons/{name}"
                      f"?reset&token={jupyterlab['token']}")
            try:
                timings[name] = _run_all_and_wait(page, name)
            except BaseException:
                page.screenshot(path=str(SCREENSHOTS / f"{stem}-failed-run.png"), full_page=True)
                raise
            for title, moves in explorers:
                explorer = page.locator(f"{PANEL} .lstm-course-explorer", has_text=title)
                assert explorer.count() == 1, f"{name}: the widget '{title}' is not rendered (front end shows no widget)"
                explorer.scroll_into_view_if_needed()
                assert "lstm-course-error" not in explorer.locator(".lstm-course-text").inner_html(), \
                    f"{name}: '{title}' starts with an error"
                explorer.screenshot(path=str(SCREENSHOTS / f"{stem}-{_slug(title)}-0-start.png"))
                for k, (action, control, argument) in enumerate(moves, start=1):
                    before = _snapshot(explorer)
                    _move(page, explorer, action, control, argument)
                    _wait_for_change(page, explorer, before, f"{name}: {title}: {action} {control}")
                    shows_error = explorer.locator(".lstm-course-error").count() > 0
                    assert shows_error == (action == "type_error"), \
                        f"{name}: {title}: after {action} {control} {argument!r} error shown = {shows_error}"
                    explorer.screenshot(path=str(SCREENSHOTS / f"{stem}-{_slug(title)}-{k}-{action}-{control}.png"))
            page.screenshot(path=str(SCREENSHOTS / f"{stem}-page.png"))
            page.close()
            _shut_down_kernels(jupyterlab)  # free the lesson's memory before the next one
    finally:
        context.close()
        (SCREENSHOTS / "timings.json").write_text(json.dumps(timings, indent=1))
    print("Run All seconds per lesson:", {k: round(v) for k, v in timings.items()})


NOTEBOOK_7_CHECK = [
    "from lstm_course.long_range import RunResult\n"
    "from lstm_course.widgets import distance_explorer, hand_set_gates_explorer",
    "results = [RunResult(cell, n, 0, acc) for cell, accs in [('simple_rnn', (0.9, 0.5)), ('lstm', (1.0, 1.0))]\n"
    "           for n, acc in zip((10, 40), accs)]\n"
    "norms = {'SimpleRNN trained': [0.5 ** (40 - t) for t in range(41)], 'LSTM trained': [0.9 ** (40 - t) for t in range(41)]}\n"
    "distance_explorer(results, norms)",
    "hand_set_gates_explorer(['the', 'movie', 'was', 'long'], [dict(forget=1.0, input=1.0, candidate=0.5, output=1.0)] * 4)",
]


def test_widgets_render_and_react_in_notebook_7(jupyterlab, browser):
    """The same explorers in Notebook 7's interface (on small made-up results: no lesson needs to run)."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_7_CHECK])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(jupyterlab["root"] / "notebook7_check.ipynb"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        page.goto(f"{jupyterlab['url']}/notebooks/notebook7_check.ipynb?token={jupyterlab['token']}")
        page.wait_for_selector(f"{PANEL} .jp-CodeCell", timeout=120_000)
        page.wait_for_selector(".jp-NotebookKernelStatus, .jp-Notebook-ExecutionIndicator", timeout=120_000)
        deadline = time.monotonic() + 240
        while page.locator(f"{PANEL} .lstm-course-explorer").count() < 2:  # retry until the kernel is up
            assert time.monotonic() < deadline, f"Notebook 7 did not show the widgets; prompts {page.evaluate(PROMPTS_JS)}"
            if not any("*" in p for p in page.evaluate(PROMPTS_JS)):
                _click_run_all(page)
            page.wait_for_timeout(3000)
        # Mouse only: Notebook 7 (7.6) consumes arrow keys before a focused slider sees them (its keydown
        # handler default-prevents them at the document), so sliders there are moved by dragging.
        for title, action, control, argument in [("How far back", "drag", "distance", -0.6),
                                                  ("Set the gates by hand", "drag", "forget", -0.5),
                                                  ("Set the gates by hand", "select", "word", "3: long")]:
            explorer = page.locator(f"{PANEL} .lstm-course-explorer", has_text=title)
            before = _snapshot(explorer)
            _move(page, explorer, action, control, argument)
            _wait_for_change(page, explorer, before, f"Notebook 7: {title}")
            explorer.screenshot(path=str(SCREENSHOTS / f"notebook7-{_slug(title)}-{action}-{control}.png"))
    except BaseException:
        page.screenshot(path=str(SCREENSHOTS / "notebook7-failed.png"), full_page=True)
        raise
    finally:
        page.close()
        _shut_down_kernels(jupyterlab)


def _shut_down_kernels(server):
    auth = {"Authorization": f"token {server['token']}"}
    with urllib.request.urlopen(urllib.request.Request(f"{server['url']}/api/sessions", headers=auth)) as response:
        sessions = json.load(response)
    for session in sessions:
        request = urllib.request.Request(f"{server['url']}/api/sessions/{session['id']}", method="DELETE", headers=auth)
        urllib.request.urlopen(request).close()


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:30]


def test_answers_stay_hidden_until_asked_and_tagged_equations_render(jupyterlab, browser):
    """Lesson 1 as a learner opens it (nothing run): the questions' <details> answers are collapsed
    until their summary is clicked, and the equations render with their \\tag numbers, without errors."""
    import nbformat

    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        page.goto(f"{jupyterlab['url']}/lab/workspaces/answers/tree/lessons/01_why_simple_rnns_forget.ipynb"
                  f"?reset&token={jupyterlab['token']}")
        page.wait_for_selector(f"{PANEL} details summary", timeout=120_000)
        details = page.locator(f"{PANEL} details")
        count = details.count()
        assert count >= 2, f"lesson 1 shows {count} collapsible answers"
        first = details.first
        first.scroll_into_view_if_needed()
        answer = first.locator(":scope > :not(summary)").first
        assert first.evaluate("d => d.open") is False and not answer.is_visible()
        first.locator("summary").click()
        page.wait_for_function("d => d.open", arg=first.element_handle(), timeout=10_000)
        assert answer.is_visible()
        tags = sum(cell.source.count("\\tag{") for cell in
                   nbformat.read(str(ROOT / "lessons" / "01_why_simple_rnns_forget.ipynb"), 4).cells
                   if cell.cell_type == "markdown")
        labels = f"{PANEL} mjx-container mjx-labels"  # MathJax 3 puts an equation's \tag there
        page.wait_for_function(f"n => document.querySelectorAll('{labels}').length >= n", arg=tags,
                               timeout=120_000)
        assert tags >= 1 and page.locator(labels).count() == tags
        assert page.locator(f"{PANEL} mjx-merror").count() == 0, "MathJax reported a TeX error"
        rendered = page.locator(f"{PANEL} .jp-RenderedMarkdown").all_inner_texts()
        assert not any("\\tag{" in text for text in rendered), "a \\tag was left as raw TeX"
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "answers-and-tags-failed.png"), full_page=True)
        raise
    finally:
        page.close()
