"""The web console in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright; no browser download)
against a `sluice local` this test starts and stops by its PID.

What it proves, in one session: sign-in keeps the key out of every URL; a job started from the page is seen Running
with its progress bar moving (the image server releases items on the test's word, so "moving" is two observations
of the page, not a timing) and then Finished with the right counters; its log pages and filters by level; a second
job is cancelled from the page after a confirmation; an execution started from the page ends Finished and its
per-file report reads right; a job named like markup renders as text (no element, no script run). Screenshots of the
main pages go to $SLUICE_CONSOLE_SCREENSHOTS when set (docs/console/ in the repository holds the committed ones).

Run: console-test/run.sh (CI: .ci/run). Skipped, saying why, only where no Chromium or Playwright is installed.
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SLUICE_CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("SLUICE_CONSOLE_SCREENSHOTS")
WAIT_MS = 300_000  # a guard on a stuck page, not a timing: every wait below is for a condition
ITEMS = 6

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SLUICE_CHROMIUM)", allow_module_level=True)


class GatedImages:
    """Serves samples/images on 127.0.0.1: a GET under /gated/ waits for a permit (release(n)), one under /held/ until
    close(); so the test decides when items are fetched instead of guessing how long they take."""

    def __init__(self):
        self.permits = threading.Semaphore(0)
        self.closing = threading.Event()
        images = REPO / "samples" / "images"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                kind, _, name = self.path.lstrip("/").partition("/")
                if kind == "gated":
                    while not outer.permits.acquire(timeout=0.2):
                        if outer.closing.is_set():
                            return
                elif kind == "held":
                    outer.closing.wait()
                    return
                body = (images / Path(name).name).read_bytes()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png" if name.endswith(".png") else "image/jpeg")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a cancelled job's fetch gave up

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self, n):
        for _ in range(n):
            self.permits.release()

    def close(self):
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """`./sluice local --port 0` with local URLs allowed (the image server and file:// folders are on this machine).
    SLUICE_TEST_API_URL, SLUICE_TEST_PROJECT and SLUICE_TEST_API_KEY point the test at a stack you started instead
    (with SLUICE_ALLOW_LOCAL_URLS=true; the test adds models, datasets and jobs to its project)."""
    if os.environ.get("SLUICE_TEST_API_URL"):
        yield {"url": os.environ["SLUICE_TEST_API_URL"], "project": os.environ["SLUICE_TEST_PROJECT"],
               "key": os.environ["SLUICE_TEST_API_KEY"]}
        return
    data_dir = tmp_path_factory.mktemp("sluice-local")
    key = "sk_console_" + secrets.token_hex(16)
    # a held item waits for the test's word, not the default 20 s fetch deadline (inference's context allows 120 s)
    env = dict(os.environ, SLUICE_ALLOW_LOCAL_URLS="true", SLUICE_API_KEY=key, SLUICE_ITEM_DEADLINE_MS="100000")
    log = open(data_dir.parent / "sluice-local.log", "w")
    # one batch message per inference invocation (the job's batchSize is 1 too): a released item commits on its own,
    # so it shows as progress while the held ones wait (with 10 a call, one held item keeps its nine neighbours back)
    proc = subprocess.Popen([str(REPO / "sluice"), "local", "--port", "0", "--data-dir", str(data_dir),
                             "--inference-batch-messages", "1"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    seen, ready = {}, threading.Event()

    def read():
        for line in proc.stdout:
            for label in ("API", "Project", "API key"):
                if line.startswith(label + ": "):
                    seen[label] = line.split(": ", 1)[1].strip()
            if line.startswith("Ctrl-C stops the stack"):
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(600) or proc.poll() is not None or len(seen) < 3:
            pytest.fail(f"sluice local did not start (exit {proc.poll()}); its stderr: {log.name}")
        yield {"url": seen["API"], "project": seen["Project"], "key": seen["API key"]}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def call(stack, method, path, body=None):
    request = urllib.request.Request(f"{stack['url']}/v1/projects/{stack['project']}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {stack['key']}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as r:
        return json.loads(r.read() or b"null")


def upload_model(stack, name, path, task, labels):
    model = call(stack, "POST", "/models", {"name": name, "task": task, "source": {"kind": "UploadedOnnx"}, "labels": labels})
    u = model["status"]["source"]["uploadUrl"]
    urllib.request.urlopen(urllib.request.Request(u["url"], data=Path(path).read_bytes(), method="PUT",
                                                  headers=u.get("headers") or {})).read()
    return call(stack, "GET", "/models/" + model["id"])  # reading it checks the upload (Uploading → Ready)


@pytest.fixture(scope="module")
def images():
    server = GatedImages()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def counter(page, stage, column):
    return int(page.locator(f'#funnel tr[data-stage="{stage}"] td.{column}').inner_text().replace(",", ""))


def progress_value(page):
    return int(page.locator("#job-progress progress").evaluate("p => p.value"))


def test_console_inARealBrowser(stack, images, browser, tmp_path):
    labels = [line[10:].split(",")[0].strip() for line in (REPO / "samples/models/synset.txt").read_text().splitlines()]
    upload_model(stack, "mobilenet", REPO / "samples/models/mobilenetv2-12-int8.onnx", "ImageClassification", labels)
    upload_model(stack, "linear", REPO / "clients/python/tests/resources/linear.onnx", "Tabular", ["neg", "pos"])
    names = ["coffee.png", "goldfish.jpg", "pineapple.png", "squirrel_cls.jpg", "dog.jpg", "coffee.png"]
    gated = tmp_path / "gated.ndjson"
    gated.write_text("".join(json.dumps({"kind": "Image", "url": f"{images.url}/gated/{n}"}) + "\n" for n in names))
    held = tmp_path / "held.ndjson"
    held.write_text("".join(json.dumps({"kind": "Image", "url": f"{images.url}/held/{n}"}) + "\n" for n in names[:2]))

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    urls, problems = [], []
    page.on("request", lambda r: urls.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # the confirmations of cancel and the like: the user says yes

    # sign in: a wrong key is refused with the API's code; the right one opens the jobs page
    page.goto(stack["url"] + "/")
    page.get_by_label("Project id").fill(stack["project"])
    page.get_by_label("API key").fill("sk_wrong_" + secrets.token_hex(8))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="auth.").wait_for()
    page.get_by_label("API key").fill(stack["key"])
    page.get_by_label("API key").press("Enter")  # the keyboard submits the form
    page.get_by_role("heading", name="Jobs", exact=True).wait_for()
    assert page.evaluate("Object.keys(sessionStorage)") == ["sluice.console"]
    assert page.evaluate("localStorage.length") == 0

    # datasets: both uploaded through the page's form (create, then PUT to the presigned URL), seen Ready
    page.get_by_role("link", name="Datasets").click()
    for name, path in (("photos", gated), ("held-photos", held)):
        page.get_by_label("Name").fill(name)
        page.locator("#ds-file").set_input_files(str(path))
        page.get_by_role("button", name="Upload").click()
        page.locator("#datasets tr", has_text=name).filter(has_text="Ready").wait_for()
    shot(page, "datasets")

    # a job started from the page, its items released two at a time: Running with the bar moving, then Finished
    page.get_by_role("link", name="Jobs").click()
    page.get_by_label("Name", exact=True).fill("photos-run")
    page.get_by_label("Dataset (Ready)").select_option(label=f"photos ({ITEMS} items)")
    page.get_by_label("Model or deployment").select_option(label="Model mobilenet (ImageClassification)")
    page.get_by_label("Batch size").fill("1")
    page.get_by_role("button", name="Start job").click()
    page.locator("#job-title", has_text="photos-run").wait_for()
    seen = []
    for done in (2, 4):
        images.release(2)
        page.locator("#job-progress .pct", has_text=f"{done} / {ITEMS}").wait_for()
        assert "Running" in page.locator("#job-status").inner_text()
        seen.append(progress_value(page))
        if done == 2:
            shot(page, "job-running")
    assert seen == [2, 4], f"the bar moved from 2 to 4 of {ITEMS} while the job ran: {seen}"
    images.release(ITEMS - 4)
    page.locator("#job-status", has_text="Finished").wait_for()
    assert progress_value(page) == ITEMS
    assert [counter(page, s, "passed") for s in ("Gathered", "Preprocessed", "Predicted", "Delivered")] == [ITEMS] * 4
    assert [counter(page, s, "failed") for s in ("Gathered", "Preprocessed", "Predicted", "Delivered")] == [0] * 4
    assert page.locator("#cancel").is_disabled() and page.locator("#retry").is_enabled()

    # its log: entries with kinds, paged, filtered by level; result file links
    # (to the job's own results a delivered item logs ItemPredicted; ItemDelivered is a webhook's receipt)
    page.locator("#logs tbody tr", has_text="ItemPredicted").first.wait_for()
    page.locator("#results a", has_text="Manifest").wait_for()
    assert page.locator("#results a").first.get_attribute("href").startswith("http")
    shot(page, "job-finished")
    page.get_by_label("Level").select_option("Error")
    page.locator("#logs", has_text="No log entries at this level.").wait_for()
    page.get_by_label("Level").select_option("")
    page.locator("#logs tbody tr").first.wait_for()

    # a second job, its items held: cancelled from the page after the confirmation
    page.get_by_role("link", name="Jobs").click()
    page.get_by_label("Name", exact=True).fill("to-cancel")
    page.get_by_label("Dataset (Ready)").select_option(label="held-photos (2 items)")
    page.get_by_role("button", name="Start job").click()
    page.locator("#job-title", has_text="to-cancel").wait_for()
    page.locator("#job-status", has_text="Running").wait_for()
    page.get_by_role("button", name="Cancel job").click()
    page.locator("#job-status", has_text="Cancelled").wait_for()
    assert page.locator("#cancel").is_disabled()

    # XSS: a job named like markup is text on every page that shows it, and nothing it names runs
    markup = '<img src=x onerror="window.__xss=1">'
    page.get_by_role("link", name="Jobs").click()
    page.get_by_label("Name", exact=True).fill(markup)
    page.get_by_label("Dataset (Ready)").select_option(label="held-photos (2 items)")
    page.get_by_role("button", name="Start job").click()
    page.locator("#job-title").filter(has_text=markup).wait_for()
    page.get_by_role("button", name="Cancel job").click()
    page.locator("#job-status", has_text="Cancelled").wait_for()
    page.get_by_role("link", name="Jobs").click()
    page.locator("#jobs a", has_text=markup).wait_for()
    assert page.locator("main img").count() == 0 and page.evaluate("window.__xss") is None

    # the jobs list: statuses as words, filters by status and name
    page.get_by_label("Status").select_option("Cancelled")
    page.locator("#jobs tbody tr", has_text="photos-run").wait_for(state="detached")
    assert page.locator("#jobs tbody tr").count() == 2
    page.get_by_label("Status").select_option("")
    page.get_by_label("Name contains").fill("photos")
    page.locator("#jobs tbody tr", has_text="to-cancel").wait_for(state="detached")
    assert page.locator("#jobs tbody tr", has_text="Finished").count() == 1
    page.get_by_label("Name contains").fill("")
    page.locator("#jobs tbody tr").nth(2).wait_for()
    shot(page, "jobs")

    # an execution from the page: a CSV folder in, a folder out; its per-file report
    source, destination = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    (source / "rows.csv").write_text("a,b,c\n1,2,3\n0.5,-1,4\n")
    page.get_by_role("link", name="Executions").click()
    page.get_by_label("Tabular model").select_option(label="linear")
    page.get_by_label("Source folder").fill(source.as_uri())
    page.get_by_label("Destination folder").fill(destination.as_uri())
    page.get_by_role("button", name="Run").click()
    page.locator("#ex-status", has_text="Finished").wait_for()
    row = page.locator("#report tbody tr")
    assert row.count() == 1
    cells = [c.strip() for c in row.first.locator("td").all_inner_texts()]
    assert cells[1:5] == ["rows.csv", "Finished", "2", "0"], cells
    assert (destination / "rows.csv").exists()
    shot(page, "execution-report")

    # webhooks: the secret is shown once, on create
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Name").fill("hook")
    page.get_by_label("Endpoint").fill(images.url + "/hook")
    page.get_by_role("button", name="Create").click()
    page.locator(".once code.secret").wait_for()
    assert page.locator(".once code.secret").inner_text()
    page.reload()
    page.locator("#webhooks tbody tr", has_text="hook").wait_for()
    assert page.locator(".once").count() == 0, "a secret is shown once, not on the next load"

    # the key never left the Authorization header: no URL the page loaded or fetched names it, nor the page's own
    assert not [u for u in urls if stack["key"] in u], "the API key appeared in a URL"
    assert stack["key"] not in page.url
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.evaluate("sessionStorage.length") == 0

    # a key revoked while the page polls signs the tab out at its next 401 (a new user found it kept polling)
    second = call(stack, "POST", "/api-keys", {"name": "revoked-while-open"})
    page.get_by_label("Project id").fill(stack["project"])
    page.get_by_label("API key").fill(second["key"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Jobs", exact=True).wait_for()
    call(stack, "DELETE", "/api-keys/" + second["id"])
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.evaluate("sessionStorage.length") == 0, "the refused key is not kept"
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()
