"""Retries and error mapping of the transport, against a scripted local server (tests/fakeapi.py): what is repeated,
how long it waits (the waits are recorded, never measured), and what a create never repeats."""
import json
import socket

import pytest

import sluice
from fakeapi import FakeApi, js

JOB = {"id": "batchjob_1", "object": "batch_job", "name": "n", "status": {"overview": "Waiting"}}


def client(url, waits):
    return sluice.Client("sk_test", api_url=url, sleep=waits.append).get_project("proj_1")


def test_503_with_retry_after_isRetried_honouringRetryAfter_withTheSameIdempotencyKey():
    waits = []
    with FakeApi([js(503, {"error": {"code": "service.unavailable", "message": "busy"}}, {"Retry-After": "2"}),
                  js(503, {"error": {"code": "service.unavailable", "message": "busy"}}, {"Retry-After": "1"}),
                  js(201, JOB)]) as api:
        job = client(api.url, waits).batch.jobs.create("n", {"dataset_id": "dataset_1", "model_id": "model_1"})
    assert job.id == "batchjob_1"
    assert len(api.requests) == 3
    keys = {r["headers"].get("Idempotency-Key") for r in api.requests}
    assert len(keys) == 1 and None not in keys, "one Idempotency-Key per logical create, reused on every attempt"
    assert waits[0] >= 2 and waits[1] >= 1, f"Retry-After is a lower bound of each wait: {waits}"
    assert api.requests[0]["body"] == api.requests[2]["body"]


def test_twoCreates_haveTwoIdempotencyKeys():
    with FakeApi([js(201, JOB), js(201, JOB)]) as api:
        jobs = client(api.url, []).batch.jobs
        jobs.create("n", {"dataset_id": "dataset_1"})
        jobs.create("n", {"dataset_id": "dataset_1"}, idempotency_key="mine-1")
    k1, k2 = (r["headers"].get("Idempotency-Key") for r in api.requests)
    assert k1 and k2 == "mine-1" and k1 != k2


def test_500_onACreate_isRetried_withTheSameKey_andTheLastErrorCarriesIt():
    waits = []
    with FakeApi([js(500, {"error": {"code": "internal", "message": "boom"}}, {"Sluice-Request-Id": "req-9"}),
                  js(201, JOB)]) as api:
        job = client(api.url, waits).batch.jobs.create("n", {"dataset_id": "dataset_1"})
    assert job.id == "batchjob_1" and len(api.requests) == 2
    keys = {r["headers"].get("Idempotency-Key") for r in api.requests}
    assert len(keys) == 1 and None not in keys, "the API replays a create by its key: a retry creates nothing twice"
    with FakeApi([js(500, {"error": {"code": "internal", "message": "boom"}}, {"Sluice-Request-Id": "req-9"})] * 4) as api:
        with pytest.raises(sluice.ServerError) as e:
            client(api.url, waits).batch.jobs.create("n", {"dataset_id": "dataset_1"})
    assert e.value.code == "internal" and e.value.status == 500 and e.value.request_id == "req-9"
    assert e.value.idempotency_key == api.requests[0]["headers"]["Idempotency-Key"]


def test_429_onACreate_isRetried():
    waits = []
    with FakeApi([js(429, {"error": {"code": "rate.limited", "message": "slow down"}}, {"Retry-After": "1"}),
                  js(201, JOB)]) as api:
        client(api.url, waits).batch.jobs.create("n", {"dataset_id": "dataset_1"})
    assert len(api.requests) == 2 and waits[0] >= 1


def test_500_onARead_isRetried_thenRaisedWithCodeAndRequestId():
    waits = []
    answers = [js(500, {"error": {"code": "internal", "message": "boom"}}, {"Sluice-Request-Id": f"req-{i}"})
               for i in range(4)]
    with FakeApi(answers) as api:
        with pytest.raises(sluice.ServerError) as e:
            client(api.url, waits).batch.jobs.get("batchjob_1")
    assert len(api.requests) == 4 and len(waits) == 3  # max_retries=3
    assert e.value.request_id == "req-3"


def test_retryAfter_longerThanHonoured_endsTheRetries():
    with FakeApi([js(503, {"error": {"code": "busy", "message": "m"}}, {"Retry-After": "3600"})]) as api:
        with pytest.raises(sluice.ServerError) as e:
            client(api.url, []).batch.jobs.get("batchjob_1")
    assert len(api.requests) == 1 and e.value.retry_after == 3600


def test_retryAfter_asAnHttpDate_isHonoured():
    waits = []
    with FakeApi([js(503, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), js(200, JOB)]) as api:
        client(api.url, waits).batch.jobs.get("batchjob_1")
    assert len(api.requests) == 2 and waits[0] >= 0  # a date in the past: no extra wait


def test_refusedConnection_isRetried_thenAConnectionErrorNamesTheUrl():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits = []
    with pytest.raises(sluice.ConnectionError) as e:
        client(f"http://127.0.0.1:{port}", waits).batch.jobs.create("n", {"dataset_id": "dataset_1"})
    assert len(waits) == 3, "a connection never opened carries no request: even a create is retried"
    assert f"127.0.0.1:{port}" in str(e.value)


def test_errorWithoutJsonBody_mapsToHttpCode():
    with FakeApi([(502, {"Content-Type": "text/html"}, b"<html>bad gateway</html>")] * 4) as api:
        with pytest.raises(sluice.ServerError) as e:
            client(api.url, []).batch.jobs.get("batchjob_1")
    assert e.value.code == "http.502" and "bad gateway" in e.value.message


@pytest.mark.parametrize("status,cls", [(400, sluice.BadRequestError), (401, sluice.AuthenticationError),
                                        (404, sluice.NotFoundError), (405, sluice.MethodNotAllowedError),
                                        (409, sluice.ConflictError), (413, sluice.PayloadTooLargeError)])
def test_statuses_mapToTypedErrors(status, cls):
    with FakeApi([js(status, {"error": {"code": "x.y", "message": "change z", "requestId": "req-body"}})]) as api:
        with pytest.raises(cls) as e:
            client(api.url, []).batch.jobs.get("batchjob_1")
    assert (e.value.status, e.value.code, e.value.message, e.value.request_id) == (status, "x.y", "change z",
                                                                                    "req-body")
    assert len(api.requests) == 1


def test_ids_areOnePathSegment_andTheKeyIsSent():
    with FakeApi([js(200, JOB)]) as api:
        client(api.url, []).batch.jobs.get("../../x?y#z:cancel")
    assert api.requests[0]["path"] == "/v1/projects/proj_1/batch/jobs/..%2F..%2Fx%3Fy%23z%3Acancel"
    assert api.requests[0]["headers"]["Authorization"] == "Bearer sk_test"


def test_unknownJobOption_isRefusedBeforeAnyRequest():
    with FakeApi([]) as api:
        with pytest.raises(ValueError, match="batchsize"):
            client(api.url, []).batch.jobs.create("n", {"dataset_id": "d", "batchsize": 64})
    assert api.requests == []


def test_waitUntilDone_pollsUntilTerminal_withATextProgressLine(capsys):
    def job(state, done):
        return js(200, dict(JOB, status={"overview": state, "itemCount": 4, "items": {"delivered": done}}))
    waits = []
    with FakeApi([job("Waiting", 0), job("Running", 2), job("Finished", 4)]) as api:
        done = client(api.url, waits).batch.jobs.wait_until_done("batchjob_1", poll_interval=0.25, progress=True)
    assert done.status.overview == sluice.JobState.FINISHED and waits == [0.25, 0.25]
    err = capsys.readouterr().err
    assert "4/4" in err or "4/4 [" in err or "100%" in err, err


def test_waitUntilDone_timeout_raisesWithTheLastJob():
    with FakeApi([js(200, JOB)] * 3) as api:
        with pytest.raises(sluice.TimeoutError) as e:
            client(api.url, []).batch.jobs.wait_until_done("batchjob_1", timeout=0)
    assert e.value.last.id == "batchjob_1"


def test_theOutcome_andTheErrorBudgetAndEvents_goBothWays():
    ended = dict(JOB, status={"overview": "Finished", "outcome": "PartiallySucceeded", "itemCount": 4,
                              "items": {"delivered": 3, "failedGather": 1}})
    with FakeApi([js(201, JOB), js(200, ended)]) as api:
        c = client(api.url, [])
        c.batch.jobs.create("n", sluice.JobSpec(dataset_id="d", events=["job.started", "job.completed"],
                                                error_budget=sluice.ErrorBudget(max_failure_rate=0.2, min_items=50)))
        job = c.batch.jobs.get("batchjob_1")
    assert job.status.outcome == sluice.Outcome.PARTIALLY_SUCCEEDED
    spec = json.loads(api.requests[0]["body"])["spec"]
    assert spec["events"] == ["job.started", "job.completed"]
    assert spec["errorBudget"] == {"maxFailureRate": 0.2, "minItems": 50}


def test_downloadResults_ofAnEndedJob_asksAgainWhileItsCompletionIsWritten_butNotForARunningJob(tmp_path):
    # a job shows Finished a moment before its manifest is written: the quick start's download_results right after
    # wait_until_done met 409 job.not_complete (trial of 2026-12-07)
    not_complete = js(409, {"error": {"code": "job.not_complete", "message": "job batchjob_1 is Finished; …"}})
    waits = []
    with FakeApi([not_complete, js(200, dict(JOB, status={"overview": "Finished"}))]) as api:
        api.answers += [js(200, {"manifest": {"key": "r/manifest.json", "url": api.url + "/m"}, "parts": [],
                                 "errors": {"key": "r/errors.ndjson", "url": api.url + "/e"}}),
                        (200, {}, b'{"jobId":"batchjob_1"}'), (200, {}, b"")]
        files = client(api.url, waits).batch.jobs.download_results("batchjob_1", tmp_path)
    assert [f.name for f in files] == ["manifest.json", "errors.ndjson"] and waits == [0.5]
    assert (tmp_path / "manifest.json").read_text() == '{"jobId":"batchjob_1"}'
    assert [r["path"] for r in api.requests[:3]] == ["/v1/projects/proj_1/batch/jobs/batchjob_1/results",
                                                     "/v1/projects/proj_1/batch/jobs/batchjob_1",
                                                     "/v1/projects/proj_1/batch/jobs/batchjob_1/results"]
    with FakeApi([not_complete, js(200, dict(JOB, status={"overview": "Running"}))]) as api:
        with pytest.raises(sluice.ConflictError) as e:
            client(api.url, []).batch.jobs.download_results("batchjob_1", tmp_path)
    assert e.value.code == "job.not_complete" and len(api.requests) == 2
