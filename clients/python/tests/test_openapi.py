"""The SDK against the contract, docs/openapi.yaml (OpenAPI 3.1): fails when the two disagree.

* Every operation of the document is reached by an SDK method, and every request an SDK method sends is an operation
  of the document. The SDK's requests are not declared by hand: each SDK method is called against a scripted server
  (fakeapi.py) and the requests it sent are matched against the document's path templates.
* Every request body and query parameter an SDK method sends is one the document declares for that operation (a body
  only where the operation takes one, each of its fields, nested ones too, a property of the request schema).
* Every field of an SDK model is a property of the document's schema of the answer it is read from (nested models
  against nested schemas), and an SDK enum has exactly the document's values.

Skipped, saying so, while the document is not in the repository (SLUICE_OPENAPI may name another file).
"""
import dataclasses
import enum
import os
import re
import typing
from pathlib import Path

import pytest

import sluice
from sluice import models as m
from fakeapi import FakeApi, js

REPO = Path(__file__).resolve().parents[3]
DOCUMENT = Path(os.environ.get("SLUICE_OPENAPI", REPO / "docs" / "openapi.yaml"))
#: operations the SDK deliberately does not wrap, and why
NOT_IN_SDK = {("GET", "/v1/openapi.json"): "the document itself"}
PREFIX = "/v1/projects/{projectId}"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def doc():
    if not DOCUMENT.exists():
        pytest.skip(f"{DOCUMENT} is not in the repository yet (the contract's OpenAPI document); "
                    "the SDK cannot be checked against it")
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the document (pip install PyYAML)")
    return yaml.safe_load(DOCUMENT.read_text())


def operations(doc):
    """(METHOD, full path template) of every operation."""
    ops = set()
    for path, item in doc.get("paths", {}).items():
        full = path if path.startswith("/v1") else PREFIX + path
        for method in METHODS:
            if method in item:
                ops.add((method.upper(), full))
    return ops


def template_regex(template):
    return re.compile("^" + re.sub(r"\\{[^}]+\\}", r"[^/]+", re.escape(template)) + "$")


GENERIC = {"id": "x_1", "status": {"overview": "Finished"}, "data": [], "entries": [], "files": [], "parts": []}


def sdk_calls(p):
    """Every SDK method that sends a request, called once with placeholder arguments."""
    j, d, w = p.batch.jobs, p.batch.datasets, p.batch.webhooks
    page = {"limit": 2, "page": "cursor"}
    return [
        lambda: j.create("n", {"dataset_id": "dataset_1", "webhook_id": "webhook_1", "model_id": "model_1",
                               "target": "GpuPool", "start_at_time": 1, "stop_at_time": 2, "batch_size": 8}),
        lambda: j.create("n", {"dataset_id": "dataset_1", "deployment_id": "deploy_1"}),
        lambda: j.get("batchjob_1"), lambda: j.list(page),
        lambda: j.create("n", {"dataset_id": "dataset_1", "model_id": "model_1"}, metadata={"team": "vision"}),
        lambda: j.list(page, {"status": "Running", "name_prefix": "nightly-", "metadata": {"team": "vision"},
                              "created_after": 1, "created_before": 2}),
        lambda: d.create("n", metadata={"team": "vision"}),
        lambda: d.list(None, {"status": "Ready", "name_prefix": "p", "metadata": {"a": "b"}, "created_after": 1}),
        lambda: p.executions.list(None, {"status": "Failed", "metadata": {"team": "t"}, "created_before": 5}),
        lambda: p.executions.dry_run({"model": {"id": "model_1"}, "bucket": "b", "source_folder": "in",
                                      "destination_folder": "out", "limit_files": 5}),
        lambda: p.executions.create({"model": {"id": "model_1"}, "bucket": "b", "source_folder": "in",
                                     "destination_folder": "out", "metadata": {"run_id": "42"}}),
        lambda: j.get_logs("batchjob_1", {"after_time": 1, "before_time": 2, "max_entries": 5, "min_level": "Error",
                                          "page": "cursor"}),
        lambda: j.get_items("batchjob_1", after="cursor", limit=5, status=["Delivered", "FailedGather"]),
        lambda: j.cancel("batchjob_1"), lambda: j.retry("batchjob_1"),
        lambda: j.retry("batchjob_1", only="retryable", spec={"batch_size": 8, "deployment": {"deployment_id": "deploy_1"},
                                                              "result_delivery": {"destinations": []}}),
        lambda: j.dry_run("n", {"dataset_id": "dataset_1", "model_id": "model_1", "limit": 20}), lambda: j.wait_until_done("batchjob_1"),
        lambda: j.get_logs("batchjob_1"), lambda: list(j.get_all_logs("batchjob_1")),
        lambda: j.get_results("batchjob_1"), lambda: j.delete("batchjob_1"),
        lambda: d.create("n"), lambda: d.get("dataset_1"), lambda: d.list(page), lambda: d.delete("dataset_1"),
        lambda: d.create("n", expiry_time=1_900_000_000_000), lambda: d.list(page, show_expired=True),
        lambda: j.get_lineage("batchjob_1", page),
        lambda: w.create("n", "https://e.com", max_retries=1, max_backoff_ms=1000, timeout_ms=1000),
        lambda: w.get("webhook_1"), lambda: w.list(page),
        lambda: w.update("webhook_1", name="x", endpoint="https://e.com/2", max_retries=2, max_backoff_ms=2000,
                         timeout_ms=2000), lambda: w.rotate_secret("webhook_1"), lambda: w.test("webhook_1"),
        lambda: w.delete("webhook_1"), lambda: w.deliveries("webhook_1", page),
        lambda: w.replay("webhook_1", "6f1c1f8e-0000-3000-8000-000000000000"),
        lambda: p.models.create("n", "ImageClassification", labels=["a"], preprocess={
            "resize_short_side": 256, "crop_size": 224, "mean": [0.5] * 3, "std": [0.2] * 3, "top_k": 5,
            "input_size": 416, "score_threshold": 0.3, "nms_iou": 0.45, "apply_exif_orientation": True,
            "decode": "exact"}),
        lambda: p.models.get("model_1"), lambda: p.models.list(page),
        lambda: p.models.delete("model_1"),
        lambda: p.deployments.create("n", "model_1", target="GpuPool", batch_size=8, max_concurrency=2),
        lambda: p.deployments.get("deploy_1"), lambda: p.deployments.list(page),
        lambda: p.deployments.delete("deploy_1"),
        lambda: p.executions.create({"model": {"id": "model_1", "build": "abc"}, "source_bucket": "b1",
                                     "destination_bucket": "b2", "source_folder": "in", "destination_folder": "out",
                                     "input_file_type": "PARQUET", "output_file_type": "CSV", "job_timeout": 60,
                                     "file_timeout": 10, "parallelism": 2, "parameters": {"featureColumns": "a"},
                                     "access_token_name": "data-key-id", "access_secret_name": "data-key-secret"}),
        lambda: p.executions.create({"model": {"id": "model_1"}, "bucket": "b", "source_folder": "in",
                                     "destination_folder": "out",
                                     "iam_role_arn": "arn:aws:iam::123456789012:role/data", "limit_files": 20,
                                     "max_failed_files": 2, "max_failed_row_rate": 0.1}),
        lambda: p.executions.get_role(),
        lambda: p.executions.get("execution_1"), lambda: p.executions.list(page),
        lambda: p.executions.cancel("execution_1"),
        lambda: p.executions.get_report("execution_1", "cursor"), lambda: p.executions.wait_until_done("execution_1"),
        lambda: p.dead_letters.get("dlq_1"), lambda: p.dead_letters.list(page),
        lambda: p.dead_letters.redrive("dlq_1"),
        lambda: p.api_keys.create("n"), lambda: p.api_keys.list(page), lambda: p.api_keys.revoke("apikey_1"),
        lambda: p.secrets.create("data-key-id", "v"), lambda: p.secrets.list(),
        lambda: p.secrets.rotate("data-key-id", "v2"), lambda: p.secrets.delete("data-key-id"),
        lambda: p.usage.get("2026-01-01", "2026-01-31"),
    ]


def recorded_requests():
    calls = sdk_calls(sluice.Client("sk", api_url="http://unused").get_project("proj_1"))
    with FakeApi([js(200, GENERIC)] * (len(calls) * 2)) as api:
        client = sluice.Client("sk", api_url=api.url, sleep=lambda s: None).get_project("proj_1")
        for call in sdk_calls(client):
            call()
    return api.requests


def sent_requests():
    return {(r["method"], r["path"].split("?")[0]) for r in recorded_requests()}


def operation(doc, method, path):
    """The document's (path item, operation) a request goes to, or (None, None)."""
    for template, item in doc.get("paths", {}).items():
        full = template if template.startswith("/v1") else PREFIX + template
        if method.lower() in item and template_regex(full).match(path):
            return item, item[method.lower()]
    return None, None


def check_body(doc, value, schema, where, problems):
    if isinstance(value, dict):
        props = properties(doc, schema)
        extra = resolve(doc, schema).get("additionalProperties")
        for k, v in value.items():
            if k in props:
                check_body(doc, v, props[k], f"{where}.{k}", problems)
            elif not extra:  # a free map (parameters) declares additionalProperties
                problems.append(f"{where}.{k}: the SDK sends a field the document does not declare")
    elif isinstance(value, list):
        for v in value:
            check_body(doc, v, item_schema(doc, schema), f"{where}[]", problems)


def test_everyRequestBodyAndQueryParameter_isDeclared(doc):
    import json
    from urllib.parse import parse_qsl, urlsplit
    problems = []
    for r in recorded_requests():
        url = urlsplit(r["path"])
        item, op = operation(doc, r["method"], url.path)
        if op is None:
            continue  # reported by the test above
        where = f"{r['method']} {url.path}"
        declared = {resolve(doc, p).get("name") for p in item.get("parameters", []) + op.get("parameters", [])
                    if resolve(doc, p).get("in") == "query"}
        prefixes = [d[:-1] for d in declared if d and d.endswith("*")]  # "metadata.*": every metadata.<key>
        for name, _ in parse_qsl(url.query):
            if name not in declared and not any(name.startswith(prefix) for prefix in prefixes):
                problems.append(f"{where}: query parameter {name} is not declared")
        body = resolve(doc, op.get("requestBody", {}))
        schema = (body.get("content", {}).get("application/json", {}) or {}).get("schema")
        if r["body"]:
            if schema is None:
                problems.append(f"{where}: the SDK sends a body; the operation takes none")
            else:
                check_body(doc, json.loads(r["body"]), schema, where, problems)
        elif body.get("required"):
            problems.append(f"{where}: the operation requires a body; the SDK sends none")
    assert not problems, "the SDK's requests and the document disagree:\n  " + "\n  ".join(problems)


def test_everyOperation_isReachedByTheSdk_andTheSdkSendsNothingElse(doc):
    ops = operations(doc)
    sent = sent_requests()
    reached = {op for op in ops if any(template_regex(op[1]).match(path) and op[0] == method
                                       for method, path in sent)}
    missing = sorted(op for op in ops - reached if op not in NOT_IN_SDK)
    assert not missing, f"operations of {DOCUMENT.name} no SDK method reaches: {missing}"
    unknown = sorted((method, path) for method, path in sent
                     if not any(op[0] == method and template_regex(op[1]).match(path) for op in ops))
    assert not unknown, f"requests the SDK sends that {DOCUMENT.name} does not declare: {unknown}"


# ---- models against schemas ------------------------------------------------------------------------------------

def resolve(doc, schema):
    while isinstance(schema, dict) and "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema or {}


def properties(doc, schema):
    """Every property the schema allows (allOf/oneOf/anyOf merged), name → schema."""
    schema = resolve(doc, schema)
    props = dict(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            props.update(properties(doc, sub))
    return props


def enum_values(doc, schema):
    schema = resolve(doc, schema)
    values = set(schema.get("enum", []))
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            values |= enum_values(doc, sub)
    return values


def item_schema(doc, schema):
    schema = resolve(doc, schema)
    if "items" in schema:
        return schema["items"]
    for key in ("oneOf", "anyOf"):  # [T, null] spelt as a union
        for sub in schema.get(key, []):
            if "items" in resolve(doc, sub):
                return resolve(doc, sub)["items"]
    return {}


def compare(doc, model, schema, where, problems):
    props = properties(doc, schema)
    if not props:
        problems.append(f"{where}: the document's schema has no properties for {model.__name__}")
        return
    hints = typing.get_type_hints(model, vars(m))
    for f in dataclasses.fields(model):
        if f.name == "extra":
            continue
        name = m._camel(f.name)
        if name not in props:
            problems.append(f"{where}.{name}: a field of sluice.{model.__name__} the document does not have")
            continue
        tp = hints[f.name]
        args = [a for a in typing.get_args(tp) if a is not type(None)] if typing.get_origin(tp) is typing.Union else [tp]
        if typing.get_origin(args[0]) in (list, typing.List):
            inner = typing.get_args(args[0])[0]
            if isinstance(inner, type) and issubclass(inner, m._Base):
                compare(doc, inner, item_schema(doc, props[name]), f"{where}.{name}[]", problems)
            continue
        for a in args:
            if isinstance(a, type) and issubclass(a, m._Base):
                compare(doc, a, props[name], f"{where}.{name}", problems)
            elif isinstance(a, type) and issubclass(a, enum.Enum):
                documented = enum_values(doc, props[name])
                if documented and documented != {e.value for e in a}:
                    problems.append(f"{where}.{name}: sluice.{a.__name__} has {sorted(e.value for e in a)}, "
                                    f"the document {sorted(documented)}")


#: each SDK model, and the answer of the document it is read from: (method, path, status)
READ_FROM = [
    (m.Job, "GET", "/batch/jobs/{jobId}", "200"), (m.Dataset, "GET", "/batch/datasets/{datasetId}", "200"),
    (m.Webhook, "POST", "/batch/webhooks", "201"), (m.WebhookTestResult, "POST", "/batch/webhooks/{webhookId}:test", "200"),
    (m.WebhookDelivery, "POST", "/batch/webhooks/{webhookId}/deliveries/{requestId}:replay", "200"),
    (m.Model, "GET", "/models/{modelId}", "200"), (m.Deployment, "GET", "/deployments/{deploymentId}", "200"),
    (m.DeadLetter, "GET", "/dead-letters/{deadLetterId}", "200"), (m.ApiKey, "POST", "/api-keys", "201"),
    (m.Execution, "GET", "/executions/{executionId}", "200"),
    (m.ExecutionReport, "GET", "/executions/{executionId}/report", "200"),
    (m.ExecutionRole, "GET", "/execution-role", "200"),
    (m.JobLogs, "GET", "/batch/jobs/{jobId}/logs", "200"), (m.JobItems, "GET", "/batch/jobs/{jobId}/items", "200"), (m.JobLineage, "GET", "/batch/jobs/{jobId}/lineage", "200"), (m.JobDryRun, "POST", "/batch/jobs", "200"), (m.ExecutionDryRun, "POST", "/executions", "200"), (m.JobResults, "GET", "/batch/jobs/{jobId}/results", "200"),
    (m.DeleteResponse, "DELETE", "/models/{modelId}", "200"), (m.Secret, "POST", "/secrets", "201"),
    (m.ProjectUsage, "GET", "/usage", "200"),
]


def response_schema(doc, method, path, status):
    paths = doc.get("paths", {})
    item = paths.get(path) or paths.get(PREFIX + path)
    if item is None:
        # the same template with other parameter names
        rx = template_regex(PREFIX + path)
        for p, i in paths.items():
            full = p if p.startswith("/v1") else PREFIX + p
            if rx.match(re.sub(r"\{[^}]+\}", "x", full)):
                item = i
                break
    if item is None or method.lower() not in item:
        return None
    responses = item[method.lower()].get("responses", {})
    response = resolve(doc, responses.get(status) or responses.get(int(status)) or {})
    return (response.get("content", {}).get("application/json", {}) or {}).get("schema")


def test_everySdkModelField_isInTheDocumentsSchema(doc):
    problems = []
    for model, method, path, status in READ_FROM:
        schema = response_schema(doc, method, path, status)
        if schema is None:
            problems.append(f"{method} {path} {status}: no JSON answer in the document for sluice.{model.__name__}")
            continue
        compare(doc, model, schema, f"{method} {path}", problems)
    for model, path in [(m.Job, "/batch/jobs"), (m.Dataset, "/batch/datasets"), (m.Webhook, "/batch/webhooks"),
                        (m.Model, "/models"), (m.Deployment, "/deployments"), (m.DeadLetter, "/dead-letters"),
                        (m.ApiKey, "/api-keys"), (m.Execution, "/executions")]:
        schema = response_schema(doc, "GET", path, "200")
        if schema is None:
            problems.append(f"GET {path} 200: no JSON answer in the document")
            continue
        props = properties(doc, schema)
        for name in ("data", "nextPage"):
            if name not in props:
                problems.append(f"GET {path}: the listing has no {name} (sluice.Page reads data, nextPage)")
        if "data" in props:
            compare(doc, model, item_schema(doc, props["data"]), f"GET {path} data[]", problems)
    assert not problems, "the SDK and the document disagree:\n  " + "\n  ".join(problems)


def test_itemStatusAndDeliveryEvent_areTheDocumentsEnums_andAStatusFilterSendsTheirNames(doc):
    items = {"data": [{"index": 0, "status": "Delivered", "prediction": {}},
                      {"index": 1, "status": "FailedGather", "reason": "r", "code": "gather.timeout"}],
             "nextCursor": "c", "hasMore": False}
    delivery = {"object": "webhook.delivery", "id": "a", "webhookId": "webhook_1", "requestId": "r",
                "jobId": "batchjob_1", "event": "job.progress", "progressPercent": 50, "statusCode": 200,
                "latencyMs": 3, "time": 1, "replay": False}
    with FakeApi([js(200, items), js(200, delivery)]) as api:
        p = sluice.Client("sk", api_url=api.url, sleep=lambda s: None).get_project("proj_1")
        page = p.batch.jobs.get_items("batchjob_1", status=[m.ItemStatus.FAILED_GATHER, "Skipped"])
        replayed = p.batch.webhooks.replay("webhook_1", "r")
    assert [i.status for i in page.data] == [m.ItemStatus.DELIVERED, m.ItemStatus.FAILED_GATHER]
    assert page.data[1].status is m.ItemStatus.FAILED_GATHER
    assert "status=FailedGather%2CSkipped" in api.requests[0]["path"], api.requests[0]["path"]
    assert replayed.event is m.JobEventType.PROGRESS and replayed.progress_percent == 50
    item_status = resolve(doc, doc["components"]["schemas"]["ItemOutcome"])["properties"]["status"]
    assert {s.value for s in m.ItemStatus} == set(item_status["enum"])
