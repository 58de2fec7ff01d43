"""The SDK against a real `sluice local` (started once per session by conftest.py): a full job whose webhook receiver
verifies every signature, one storage-based execution, error mapping, paging, and the other resources."""
import csv
import re
import uuid
from pathlib import Path

import pytest
import requests

import sluice
from servers import StaticFiles, WebhookReceiver

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "samples"
PHOTOS = {"coffee.png": "espresso", "goldfish.jpg": "goldfish", "squirrel_cls.jpg": "fox squirrel",
          "pineapple.png": "pineapple"}
pytestmark = pytest.mark.local


def imagenet_labels():
    """synset.txt as Sluice's Labels.parse reads it: the WordNet id and the synonyms after the first comma dropped."""
    labels = []
    for line in (SAMPLES / "models" / "synset.txt").read_text().splitlines():
        if line.strip():
            name = line[10:] if re.match(r"^n\d{8} ", line) else line
            labels.append(name.split(",")[0].strip())
    return labels


@pytest.fixture(scope="module")
def classifier(project):
    model = project.models.upload("mobilenetv2-12-int8", SAMPLES / "models" / "mobilenetv2-12-int8.onnx",
                                  "ImageClassification", labels=imagenet_labels())
    assert model.status.overview == sluice.ModelState.READY
    return model


def test_fullJob_everyItemDelivered_everySignatureVerified(project, classifier, tmp_path):
    with StaticFiles(SAMPLES / "images") as images, WebhookReceiver() as receiver:
        seen_bytes = []
        dataset = project.batch.datasets.upload("photos", [f"{images.url}/{name}" for name in PHOTOS],
                                                progress=lambda sent, total: seen_bytes.append((sent, total)))
        assert dataset.status.overview == sluice.DatasetState.READY and dataset.status.item_count == 4
        assert seen_bytes and seen_bytes[-1][0] == seen_bytes[-1][1], "the upload's progress reaches its size"

        webhook = project.batch.webhooks.create("receiver", receiver.url, max_retries=3)
        assert webhook.secret, "the secret is in the creating answer"
        receiver.secret = webhook.secret
        tested = project.batch.webhooks.test(webhook.id)
        assert tested.response_code == 204, tested  # the receiver verified the signed test POST

        job = project.batch.jobs.create("sdk-run", {"dataset_id": dataset.id, "model_id": classifier.id,
                                                    "webhook_id": webhook.id})
        assert job.id.startswith("batchjob_") and job.spec.dataset_id == dataset.id
        polled = []
        done = project.batch.jobs.wait_until_done(job.id, poll_interval=0.5, progress=polled.append)
        assert done.status.overview == sluice.JobState.FINISHED, done.status
        assert done.status.item_count == 4 and done.status.items.delivered == 4
        assert done.status.items.terminal == 4 and polled[-1].id == job.id

        assert receiver.wait_for(lambda r: any(x["body"].get("type") == "job.completed" for x in r)), \
            "the signed job.completed event follows the last delivery"
        assert receiver.received and all(r["verified"] for r in receiver.received), \
            "every POST Sluice signed verifies with sluice.verify_signature"
        items = [r["body"] for r in receiver.received if "item" in r["body"]]
        top1 = {Path(b["item"]["url"]).name: b["prediction"]["classes"][0]["label"] for b in items}
        assert top1 == PHOTOS

    logs = project.batch.jobs.get_logs(job.id)
    assert logs.entries and all(isinstance(e, sluice.JobLogEntry) for e in logs.entries)
    one_by_one = list(project.batch.jobs.get_all_logs(job.id, {"max_entries": 1}))
    assert [e.id for e in one_by_one] == [e.id for e in logs.entries], "paging one entry at a time sees every entry"

    files = project.batch.jobs.download_results(job.id, tmp_path / "results")
    names = {f.name for f in files}
    assert {"manifest.json", "errors.ndjson"} <= names and all(f.stat().st_size >= 0 for f in files)

    with pytest.raises(sluice.ConflictError) as e:
        project.batch.jobs.cancel(job.id)
    assert e.value.status == 409 and e.value.code.startswith("job.")


def test_execution_folderInFolderOut(project, tmp_path):
    model = project.models.upload("linear", Path(__file__).with_name("resources") / "linear.onnx", "Tabular",
                                  labels=["neg", "pos"])
    source, destination = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    (source / "rows.csv").write_text("a,b,c\n1,2,3\n0.5,-1,4\n")
    options = {"model": {"id": model.id}, "source_folder": source.as_uri(), "destination_folder": destination.as_uri(),
               "input_file_type": "CSV", "output_file_type": "CSV"}
    before = len(project.executions.list().data)
    dry = project.executions.dry_run(options)
    assert dry.dry_run and dry.file_count == 1 and dry.bytes == (source / "rows.csv").stat().st_size, dry
    assert [f.name for f in dry.files] == ["rows.csv"] and dry.basis.source == "Benchmark", dry
    assert len(project.executions.list().data) == before and not destination.exists(), "a dry run starts nothing"
    execution = project.executions.create({"model": {"id": model.id}, "source_folder": source.as_uri(),
                                           "destination_folder": destination.as_uri(),
                                           "input_file_type": "CSV", "output_file_type": "CSV"})
    done = project.executions.wait_until_done(execution.id, poll_interval=0.5)
    assert done.status.overview == sluice.ExecutionState.FINISHED, done.status
    files = list(project.executions.get_all_files(execution.id))
    assert [(f.file, f.status, f.rows, f.failed_rows) for f in files] == [("rows.csv", sluice.FileState.FINISHED, 2, 0)]
    with (destination / "rows.csv").open() as f:
        rows = list(csv.DictReader(f))
    # ONNX Runtime's scores of these rows (resources/make_linear_onnx.py): [3.6999998, 0.35000002], [-2.85, -1.175]
    assert [(r["scores_0"], r["scores_1"], r["label"]) for r in rows] == [
        ("3.6999998", "0.35000002", "neg"), ("-2.8500001", "-1.1750001", "pos")]
    assert any(e.id == execution.id for e in project.executions.list())


def test_errors_carryCodeMessageAndRequestId(project, local):
    with pytest.raises(sluice.NotFoundError) as e:
        project.batch.jobs.get("batchjob_" + str(uuid.uuid4()))
    assert e.value.status == 404 and e.value.code == "job.not_found" and e.value.message
    raw = requests.get(f"{local.api_url}/v1/projects/{local.project_id}/batch/jobs/batchjob_x",
                       headers={"Authorization": f"Bearer {local.api_key}"})
    if "Sluice-Request-Id" in raw.headers:
        assert e.value.request_id, "the API sends Sluice-Request-Id: the error carries it"

    with pytest.raises(sluice.AuthenticationError) as e:
        sluice.Client("sk_wrong", api_url=local.api_url).get_project(local.project_id).batch.jobs.list()
    assert e.value.status == 401

    with pytest.raises(sluice.NotFoundError) as e:
        sluice.Client(local.api_key, api_url=local.api_url).get_project("proj_other").models.list()
    assert e.value.code == "project.not_found"

    empty = project.batch.datasets.create("never-uploaded")
    with pytest.raises(sluice.ConflictError) as e:
        project.batch.jobs.create("too-early", {"dataset_id": empty.id, "model_id": "model_x"})
    assert e.value.code == "dataset.not_ready" and e.value.idempotency_key, "a create carries its key, in its error too"

    with pytest.raises(sluice.BadRequestError) as e:
        project.batch.webhooks.list({"limit": 0})
    assert e.value.code == "request.bad_limit"


def test_idempotentCreate_andDelete_againstTheLocalApi(project, local):
    key = str(uuid.uuid4())
    first = project.batch.datasets.create("idempotent", idempotency_key=key)
    again = project.batch.datasets.create("idempotent", idempotency_key=key)
    assert again.id == first.id, "the same key and body create once; the second answer is the first"
    raw = requests.post(f"{local.api_url}/v1/projects/{local.project_id}/batch/datasets",
                        headers={"Authorization": f"Bearer {local.api_key}", "Idempotency-Key": key},
                        json={"name": "idempotent", "source": {"kind": "UploadedNdjson"}})
    assert raw.status_code == 201 and raw.headers.get("Idempotent-Replayed") == "true" and raw.json()["id"] == first.id
    with pytest.raises(sluice.ConflictError) as e:
        project.batch.datasets.create("another-body", idempotency_key=key)
    assert e.value.code == "request.idempotency_conflict"
    assert project.batch.datasets.delete(first.id).deleted
    with pytest.raises(sluice.NotFoundError) as e:
        project.batch.datasets.get(first.id)
    assert e.value.code == "dataset.not_found"
    with pytest.raises(sluice.NotFoundError) as e:
        project.batch.jobs.delete("batchjob_" + uuid.uuid4().hex)
    assert e.value.code == "job.not_found"


def test_paging_iteratesEveryPage_andTheOtherResources(project, classifier):
    made = [project.batch.webhooks.create(f"hook-{i}", f"https://example.com/hook/{i}") for i in range(3)]
    first = project.batch.webhooks.list({"limit": 2})
    assert len(first.data) == 2 and first.next_page and first["next_page"] == first.next_page
    every = [w.id for w in first]
    assert len(every) == len(set(every)) and {w.id for w in made} <= set(every)

    changed = project.batch.webhooks.update(made[0].id, max_retries=5)
    assert changed.spec.retries.max_retries == 5 and changed.spec.endpoint == "https://example.com/hook/0"
    rotated = project.batch.webhooks.rotate_secret(made[0].id)
    assert rotated.secret and rotated.secret != made[0].secret
    assert project.batch.webhooks.delete(made[0].id).deleted
    with pytest.raises(sluice.NotFoundError):
        project.batch.webhooks.get(made[0].id)

    deployment = project.deployments.create("cpu", classifier.id, target=sluice.DeploymentTarget.LAMBDA,
                                            batch_size=8, max_concurrency=2)
    assert project.deployments.get(deployment.id) == deployment
    assert deployment.id in {d.id for d in project.deployments.list({"limit": 1})}
    assert project.deployments.delete(deployment.id).deleted

    models = list(project.models.list())
    assert all(isinstance(m, sluice.Model) for m in models)
    assert list(project.dead_letters.list()) == [] or all(isinstance(d, sluice.DeadLetter)
                                                          for d in project.dead_letters.list())

    key = project.api_keys.create("ci")
    assert key.key and key.prefix and key.key.startswith(key.prefix)
    assert key.id in {k.id for k in project.api_keys.list()}
    assert project.api_keys.revoke(key.id).revoked_time
    with pytest.raises(sluice.AuthenticationError):
        sluice.Client(key.key, api_url=project.batch.jobs._t.api_url).get_project(project.project_id).models.list()


def test_metadataAndFilters_everyFilteredPage_andACursorBoundToItsFilter(project):
    """Issue 23 item 6 against sluice local: metadata on create, listings filtered page by page."""
    made = [project.batch.datasets.create(f"sdk-filter-{i}", metadata={"suite": "sdk", "half": str(i % 2)})
            for i in range(3)]
    assert made[0].metadata == {"suite": "sdk", "half": "0"}
    first = project.batch.datasets.list({"limit": 1}, {"metadata": {"suite": "sdk"}, "name_prefix": "sdk-filter-",
                                                        "status": "Uploading"})
    assert len(first.data) == 1 and first.next_page
    assert [d.id for d in first] == [d.id for d in reversed(made)], "every page, newest first, once"
    evens = project.batch.datasets.list(None, {"metadata": {"suite": "sdk", "half": "0"}})
    assert {d.id for d in evens} == {made[0].id, made[2].id}
    with pytest.raises(sluice.BadRequestError) as refused:
        project.batch.datasets.list({"page": first.next_page}, {"metadata": {"suite": "other"}})
    assert refused.value.code == "request.bad_cursor"
    with pytest.raises(sluice.BadRequestError) as bad:
        project.batch.datasets.create("bad", metadata={f"k{i}": "v" for i in range(17)})
    assert bad.value.code == "metadata.too_many_pairs"


def test_readmeQuickStart_runsAsWritten(local, tmp_path, capsys):
    """README's Python quick start, run as written against the session's stack (only its URLs, key, project and
    output folder are swapped for the test's)."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Quick start"):]
    code = section[section.index("```python\n") + len("```python\n"):]
    code = code[:code.index("```")]
    with StaticFiles(SAMPLES / "images") as images:
        for old, new in [("sk_choose_a_long_key", local.api_key), ("http://127.0.0.1:8080", local.api_url),
                         ("proj_…", local.project_id), ("http://127.0.0.1:8000", images.url),
                         ('"results"', repr(str(tmp_path / "results"))), ('"samples/', f'"{SAMPLES}/')]:
            assert old in code, f"README's quick start no longer has {old!r}"
            code = code.replace(old, new)
        exec(compile(code, "README.md#quick-start", "exec"), {})
    out = capsys.readouterr().out
    assert "JobState.FINISHED" in out and "predicted=3" in out and "manifest.json" in out, out


def test_dryRun_sample_andRetryByFailureClass(project, classifier):
    with StaticFiles(SAMPLES / "images") as images:
        urls = [f"{images.url}/{name}" for name in PHOTOS] + [f"{images.url}/missing.jpg"]
        dataset = project.batch.datasets.upload("control", urls + ["not a json line"])
        jobs_before = len(project.batch.jobs.list({"limit": 1000}).data)

        dry = project.batch.jobs.dry_run("check", {"dataset_id": dataset.id, "model_id": classifier.id})
        assert dry.dry_run and dry.item_count == 5 and dry.line_count == 6, dry
        assert dry.invalid_line_count == 1 and dry.invalid_lines[0].line == 5
        assert dry.invalid_lines[0].code == "item.bad_url"  # the SDK made it {"kind": "Image", "url": "not a json line"}
        # History once a job of this model finished in the session (tests share the project), else Benchmark
        assert dry.hosts[0].items == 5 and dry.basis.source in ("Benchmark", "History") and dry.estimated_cost_usd > 0
        assert len(project.batch.jobs.list({"limit": 1000}).data) == jobs_before, "a dry run creates nothing"

        # the first 5 valid lines, no webhook: the 404 is the only failure, and it is Permanent
        job = project.batch.jobs.create("sample", {"dataset_id": dataset.id, "model_id": classifier.id, "limit": 5})
        assert job.spec.limit == 5 and job.status.item_count == 5
        done = project.batch.jobs.wait_until_done(job.id, poll_interval=0.5)
        assert done.status.items.predicted == 4 and done.status.items.failed_gather == 1, done.status
        failed = project.batch.jobs.get_logs(job.id, {"min_level": "Error"}).data
        assert [(e.index, e.failure_class) for e in failed] == [(4, sluice.FailureClass.PERMANENT)]

        with pytest.raises(sluice.ConflictError) as nothing:
            project.batch.jobs.retry(job.id, only="retryable")
        assert nothing.value.code == "job.nothing_to_retry"
        retry = project.batch.jobs.retry(job.id, only="all-failed", spec={"batch_size": 4})
        assert retry.spec.retry_of == job.id and retry.spec.batch_size == 4 and retry.status.item_count == 1
        project.batch.jobs.wait_until_done(retry.id, poll_interval=0.5)
