"""Test session fixtures. ``local``: one `sluice local` for the session, started here and stopped by its PID.

It runs `<repo>/sluice local --port 0 --data-dir <tmp>` with SLUICE_ALLOW_LOCAL_URLS=true (the test's webhook
receiver, image server and file:// folders are on this machine) and a random SLUICE_API_KEY, and reads the API URL
and project from the lines it prints (`API: …`, `Project: …`, `API key: …`). Set SLUICE_TEST_API_URL,
SLUICE_TEST_PROJECT and SLUICE_TEST_API_KEY to run the same tests against a stack you started yourself.
Needs a JDK 21+ and the built modules (`clients/python/run-tests.sh` builds them when missing).
"""
import os
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # fakeapi, receivers

REPO = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = float(os.environ.get("SLUICE_TEST_START_TIMEOUT", "600"))  # a guard on a stuck start, not a timing


@dataclass
class Stack:
    api_url: str
    project_id: str
    api_key: str


@pytest.fixture(scope="session")
def local(tmp_path_factory):
    if os.environ.get("SLUICE_TEST_API_URL"):
        yield Stack(os.environ["SLUICE_TEST_API_URL"], os.environ["SLUICE_TEST_PROJECT"],
                    os.environ["SLUICE_TEST_API_KEY"])
        return
    data_dir = tmp_path_factory.mktemp("sluice-local")
    key = "sk_test_" + secrets.token_hex(16)
    env = dict(os.environ, SLUICE_ALLOW_LOCAL_URLS="true", SLUICE_API_KEY=key)
    log = open(data_dir.parent / "sluice-local.log", "w")
    proc = subprocess.Popen([str(REPO / "sluice"), "local", "--port", "0", "--data-dir", str(data_dir)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    seen = {}
    ready = threading.Event()

    def read():  # the stack's stdout, line by line, until it says it is up; then drain it
        for line in proc.stdout:
            for label in ("API", "Project", "API key"):
                if line.startswith(label + ": "):
                    seen[label] = line.split(": ", 1)[1].strip()
            if line.startswith("Ctrl-C stops the stack"):
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(START_TIMEOUT_S) or proc.poll() is not None or len(seen) < 3:
            pytest.fail(f"sluice local did not start (exit {proc.poll()}); its stderr: {log.name}")
        yield Stack(seen["API"], seen["Project"], seen["API key"])
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # its shutdown hook stops the emulators and S3Mock's child process
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


@pytest.fixture(scope="session")
def project(local):
    import sluice
    return sluice.Client(local.api_key, api_url=local.api_url).get_project(local.project_id)
