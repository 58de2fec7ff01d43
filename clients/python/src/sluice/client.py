"""The facade: ``Client(api_key, api_url=…).get_project(project_id)`` and the project's resources, shaped like the
Datature Nexus SDK (``project.batch.jobs.create(name, options)`` …) over the Sluice REST API v1 (README, API)."""
from __future__ import annotations

import enum
import io
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Union
from urllib.parse import quote

import requests

from . import errors
from ._http import Transport
from ._progress import Bar, ProgressArg
from .models import (ApiKey, DatasetState, Dataset, DeadLetter, DeleteResponse, Deployment, Execution, ExecutionRole,
                     ExecutionFileReport, ExecutionReport, ExecutionDryRun, Job, JobDryRun, JobItem, JobItems, JobLineage, JobLogEntry, JobLogs, JobResults, JobSpec, Model,
                     ModelState, Page, ProjectUsage, Secret, Webhook, WebhookDelivery, WebhookTestResult)

__all__ = ["Client", "Project"]

DEFAULT_API_URL = "http://127.0.0.1:8080"
PathLike = Union[str, "os.PathLike[str]"]


def _seg(value: str) -> str:
    """An id as one path segment (``/``, ``?``, ``#`` and ``:`` cannot change the route)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"an id must be a non-empty string, got {value!r}")
    return quote(value, safe="")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _camelize(value: Any, keep: Iterable[str] = ()) -> Any:
    """snake_case keys to the API's camelCase, recursively; the values of the ``keep`` keys are left as they are."""
    if isinstance(value, Mapping):
        return {_camel(k): (v if k in keep else _camelize(v, keep)) for k, v in value.items()}
    if isinstance(value, list):
        return [_camelize(v, keep) for v in value]
    return value


class Client:
    """A client of one Sluice API.

    Args:
        api_key: the project's API key (``sk_…``); default ``SLUICE_API_KEY``.
        api_url: the API's base URL; default ``SLUICE_API_URL``, else ``http://127.0.0.1:8080`` (``sluice local``).
        max_retries: retries of a failed request (429, 5xx, connection errors; see ``sluice._http``), default 3.
        timeout: seconds of one attempt: a number, or (connect, read); default (10, 60).
        max_retry_after: the longest ``Retry-After`` (seconds) waited for; a longer one raises at once.
        sleep: how to wait between retries and polls (``time.sleep``); tests pass a recorder.

    Raises ``ValueError`` when no key or URL is given or set.
    """

    def __init__(self, api_key: Optional[str] = None, api_url: Optional[str] = None, *, max_retries: int = 3,
                 timeout: Union[float, tuple] = (10.0, 60.0), max_retry_after: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep):
        api_key = api_key or os.environ.get("SLUICE_API_KEY")
        api_url = api_url or os.environ.get("SLUICE_API_URL") or DEFAULT_API_URL
        if not api_key:
            raise ValueError("give api_key, or set SLUICE_API_KEY")
        self._transport = Transport(api_url, api_key, max_retries=max_retries, timeout=timeout,
                                    max_retry_after=max_retry_after, sleep=sleep)

    @property
    def api_url(self) -> str:
        return self._transport.api_url

    def get_project(self, project_id: Optional[str] = None) -> "Project":
        """The project ``proj_…`` (default ``SLUICE_PROJECT``). No request is made: a wrong id or a key of another
        project is a :class:`NotFoundError` (``project.not_found``) at the first call."""
        project_id = project_id or os.environ.get("SLUICE_PROJECT")
        if not project_id:
            raise ValueError("give project_id, or set SLUICE_PROJECT")
        return Project(self._transport, project_id)

    def close(self):
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Client(api_url={self.api_url!r})"


class _Resource:
    def __init__(self, transport: Transport, project_id: str):
        self._t = transport
        self._base = f"/v1/projects/{_seg(project_id)}"
        self.project_id = project_id

    def _call(self, method: str, path: str, **kw) -> Any:
        return self._t.request(method, self._base + path, **kw)

    #: the filters of the job, dataset and execution listings (issue 23 item 6), snake_case → query parameter
    FILTERS = {"status": "status", "name_prefix": "namePrefix", "created_after": "createdAfter",
               "created_before": "createdBefore"}

    def _page(self, path: str, model, pagination: Optional[Mapping[str, Any]],
              filters: Optional[Mapping[str, Any]] = None, more: Optional[Mapping[str, Any]] = None) -> Page:
        pagination = dict(pagination or {})
        unknown = set(pagination) - {"limit", "page"}
        if unknown:
            raise ValueError(f"pagination takes limit and page, not {sorted(unknown)}")
        query = dict(self._filter_query(filters), **dict(more or {}))

        def fetch(page_token: Optional[str]) -> Page:
            params = dict(query, limit=pagination.get("limit"), page=page_token)
            body = self._call("GET", path, params=params)
            return Page(data=[model.from_dict(d) for d in body.get("data", [])], next_page=body.get("nextPage"),
                        prev_page=body.get("prevPage"), _fetch=fetch)

        return fetch(pagination.get("page"))

    @classmethod
    def _filter_query(cls, filters: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
        """The query parameters of ``filters``: ``status``, ``name_prefix``, ``metadata`` (a dict of pairs the record
        must hold), ``created_after``/``created_before`` (epoch ms, exclusive); camelCase names are taken too."""
        query: Dict[str, Any] = {}
        for key, value in (filters or {}).items():
            if value is None:
                continue
            if key == "metadata":
                for k, v in dict(value).items():
                    query[f"metadata.{k}"] = v
                continue
            name = cls.FILTERS.get(key) or (key if key in cls.FILTERS.values() else None)
            if name is None:
                raise ValueError(f"filters take {sorted(cls.FILTERS)} and metadata, not {key!r}")
            query[name] = value.value if isinstance(value, enum.Enum) else value
        return query

    def _sleep(self, seconds: float):
        self._t.sleep(seconds)


class Jobs(_Resource):
    """``project.batch.jobs``: batch jobs (``/batch/jobs``)."""

    #: flat options of the reference SDK's ``create(name, job_options)`` and where each goes in the API's spec
    OPTIONS = ("dataset_id", "webhook_id", "deployment_id", "model_id", "target", "start_at_time", "stop_at_time",
               "batch_size", "limit")

    @classmethod
    def spec_of(cls, options: Union[Mapping[str, Any], JobSpec]) -> Dict[str, Any]:
        """The API's ``spec`` for the options: a :class:`JobSpec`, the API's own spec (camelCase or snake_case
        keys: ``datasetId``, ``deployment``, ``resultDelivery`` …), or the reference SDK's flat options
        (``dataset_id``, ``webhook_id``, ``deployment_id`` or ``model_id`` [+ ``target``], ``start_at_time``,
        ``stop_at_time``, ``batch_size``). A flat option the SDK does not know raises ``ValueError`` (a typo never
        configures nothing)."""
        if isinstance(options, JobSpec):
            return options.to_dict()
        options = dict(options)
        if any(k in options for k in ("deployment", "resultDelivery", "result_delivery", "datasetId")):
            return _camelize(options)
        unknown = sorted(set(options) - set(cls.OPTIONS))
        if unknown:
            raise ValueError(f"unknown job option(s) {unknown}; known: {list(cls.OPTIONS)}")
        spec: Dict[str, Any] = {}
        if "dataset_id" in options:
            spec["datasetId"] = options["dataset_id"]
        deployment = {}
        if options.get("deployment_id"):
            deployment["deploymentId"] = options["deployment_id"]
        if options.get("model_id"):
            deployment["modelId"] = options["model_id"]
        if options.get("target"):
            deployment["target"] = getattr(options["target"], "value", options["target"])
        if deployment:
            spec["deployment"] = deployment
        if options.get("webhook_id"):
            spec["resultDelivery"] = {"destinations": [{"kind": "Webhook", "webhookId": options["webhook_id"]}]}
        for k in ("start_at_time", "stop_at_time", "batch_size", "limit"):
            if options.get(k) is not None:
                spec[_camel(k)] = options[k]
        return spec

    def create(self, name: str, options: Union[Mapping[str, Any], JobSpec], *,
               idempotency_key: Optional[str] = None, metadata: Optional[Mapping[str, str]] = None) -> Job:
        """Creates a job (201) over a Ready dataset. ``options``: see :meth:`spec_of`. ``idempotency_key``: one per
        logical create (default: a new UUID), sent on every attempt. Raises BadRequestError (``job.*``), ConflictError
        (``dataset.not_ready``), NotFoundError (a dataset/model/webhook of no such id). ``metadata``: at most 16
        string pairs (``metadata.*`` codes otherwise)."""
        body = {"name": name, "spec": self.spec_of(options)}
        if metadata:
            body["metadata"] = dict(metadata)
        return Job.from_dict(self._call("POST", "/batch/jobs", body=body, create=True,
                                        idempotency_key=idempotency_key))

    def dry_run(self, name: str, options: Union[Mapping[str, Any], JobSpec]) -> JobDryRun:
        """What :meth:`create` would do, checked as a create is (the same errors), with nothing created, queued or
        POSTed: ``item_count``, ``invalid_lines``, ``refused_urls``, ``hosts``, ``estimated_seconds``,
        ``estimated_cost_usd`` and their ``basis``. ``options``: see :meth:`spec_of` (``limit`` for a sample)."""
        body = {"name": name, "spec": self.spec_of(options)}
        return JobDryRun.from_dict(self._call("POST", "/batch/jobs", body=body, params={"dryRun": "true"}))

    def get(self, job_id: str) -> Job:
        return Job.from_dict(self._call("GET", f"/batch/jobs/{_seg(job_id)}"))

    def list(self, pagination: Optional[Mapping[str, Any]] = None,
             filters: Optional[Mapping[str, Any]] = None) -> Page[Job]:
        """One page of jobs, newest first (``pagination``: ``limit`` 1..1000, default 100, and a ``page`` cursor);
        iterating the page walks every following page too. ``filters``: ``status``, ``name_prefix``, ``metadata``
        (pairs a job must hold), ``created_after``/``created_before`` (epoch ms); a cursor continues only its filter."""
        return self._page("/batch/jobs", Job, pagination, filters)

    def delete(self, job_id: str) -> DeleteResponse:
        """Deletes an ended job with its log, ledger rows, result parts, manifest and errors file (ConflictError
        ``job.running`` while it is Waiting or Running; NotFoundError ``job.not_found``)."""
        return DeleteResponse.from_dict(self._call("DELETE", f"/batch/jobs/{_seg(job_id)}"))

    def get_lineage(self, job_id: str, pagination: Optional[Mapping[str, Any]] = None) -> JobLineage:
        """One page of the job's lines (``pagination``: ``limit`` 1..1000, default 100, and a ``page`` cursor), each
        with its final outcome across the job and its retries: Delivered if any attempt delivered it, else what its
        last attempt did (Failed with the reason, Skipped, or Pending while that job runs)."""
        pagination = dict(pagination or {})
        return JobLineage.from_dict(self._call("GET", f"/batch/jobs/{_seg(job_id)}/lineage",
                                               params={"limit": pagination.get("limit"), "page": pagination.get("page")}))

    def cancel(self, job_id: str) -> Job:
        """Cancels a Waiting or Running job (ConflictError ``job.*`` once it ended)."""
        return Job.from_dict(self._call("POST", f"/batch/jobs/{_seg(job_id)}:cancel"))

    def retry(self, job_id: str, *, only: Optional[str] = None, spec: Optional[Mapping[str, Any]] = None,
              idempotency_key: Optional[str] = None) -> Job:
        """A new job over the items of this ended job that were not delivered (its ``spec.retry_of`` is this one).
        ``only``: ``"all-failed"`` (the default) or ``"retryable"`` (leaves out items whose last failure is
        Permanent). ``spec``: overrides, camelCase or snake_case (``deployment``, ``batch_size``,
        ``result_delivery``, ``gather``); each left out keeps the original's. Raises ConflictError
        ``job.nothing_to_retry`` when no item is in scope."""
        body: Dict[str, Any] = {}
        if only is not None:
            body["only"] = only
        if spec is not None:
            body["spec"] = _camelize(spec)
        return Job.from_dict(self._call("POST", f"/batch/jobs/{_seg(job_id)}:retry", body=body or None, create=True,
                                        idempotency_key=idempotency_key))

    def wait_until_done(self, job_id: str, *, timeout: Optional[float] = None, poll_interval: float = 2.0,
                        progress: ProgressArg = False) -> Job:
        """Polls the job until it is terminal (Finished, Cancelled, TimedOut or Failed) and returns it; whether it
        succeeded is ``job.status.overview`` and its counters. ``progress``: True for a bar of items (tqdm when
        installed, else a text line on stderr) or a callable given each Job polled. Raises :class:`TimeoutError`
        when ``timeout`` seconds pass first (its ``last`` is the last Job seen)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = Bar(None, job_id, unit="items") if progress is True else None
        try:
            while True:
                job = self.get(job_id)
                if callable(progress):
                    progress(job)
                elif bar is not None and job.status is not None:
                    items = job.status.items
                    bar.set_total(job.status.item_count)
                    state = getattr(job.status.overview, "value", job.status.overview)
                    bar.update_to(items.terminal if items else 0, str(state))
                if job.done:
                    return job
                if deadline is not None and time.monotonic() >= deadline:
                    raise errors.TimeoutError(f"job {job_id} is still {job.status.overview} after {timeout} s",
                                              last=job)
                self._sleep(poll_interval)
        finally:
            if bar is not None:
                bar.close()

    LOG_FILTERS = ("after_time", "before_time", "max_entries", "limit", "min_level", "page")

    def get_logs(self, job_id: str, logs_filter: Optional[Mapping[str, Any]] = None) -> JobLogs:
        """One page of the job's item-level log (at most 1,000 entries), oldest first. ``logs_filter``:
        ``after_time`` / ``before_time`` (epoch ms), ``max_entries`` (or ``limit``: 1..1000, sent as ``limit``),
        ``min_level`` (``"Error"``), ``page`` (a previous page's ``next_page``)."""
        if "max_entries" in (logs_filter or {}) and "limit" in (logs_filter or {}):
            raise ValueError("give max_entries or limit, not both")
        f = dict(logs_filter or {})
        unknown = sorted(set(f) - set(self.LOG_FILTERS))
        if unknown:
            raise ValueError(f"unknown log filter(s) {unknown}; known: {list(self.LOG_FILTERS)}")
        params = {("limit" if k in ("max_entries", "limit") else _camel(k)): v for k, v in f.items()}
        body = dict(self._call("GET", f"/batch/jobs/{_seg(job_id)}/logs", params=params))
        entries = body.pop("entries", None)  # the old name of data, kept by the API for one release
        body.setdefault("data", entries or [])
        return JobLogs.from_dict(body)

    def get_all_logs(self, job_id: str, logs_filter: Optional[Mapping[str, Any]] = None) -> Iterator[JobLogEntry]:
        """Every log entry matching the filter, page after page (a generator: one page in memory at a time)."""
        f = dict(logs_filter or {})
        if "limit" not in f:
            f.setdefault("max_entries", 1000)
        while True:
            logs = self.get_logs(job_id, f)
            yield from logs.data
            if not logs.next_page:
                return
            f["page"] = logs.next_page

    def get_items(self, job_id: str, after: Optional[str] = None, limit: Optional[int] = None,
                  status: Optional[Union[str, Iterable[str]]] = None) -> JobItems:
        """One page of the job's committed item outcomes in commit order (``GET /batch/jobs/{id}/items``): ``after``
        a previous page's ``next_cursor``, ``limit`` 1..1000 (default 100), ``status`` one or several statuses
        (``ItemStatus`` members or their names)."""
        params: Dict[str, Any] = {}
        if after is not None:
            params["after"] = after
        if limit is not None:
            params["limit"] = limit
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            params["status"] = ",".join(getattr(s, "value", s) for s in wanted)
        return JobItems.from_dict(self._call("GET", f"/batch/jobs/{_seg(job_id)}/items", params=params))

    def iter_items(self, job_id: str, after: Optional[str] = None,
                   status: Optional[Union[str, Iterable[str]]] = None, follow: bool = False,
                   poll_seconds: float = 1.0) -> Iterator[JobItem]:
        """Every item outcome from ``after`` on, page after page (a generator: one page in memory at a time). With
        ``follow``, waits for more while the job runs and ends once the job has ended and counted every item."""
        cursor = after
        caught_up_after_end = 0
        while True:
            job = self.get(job_id) if follow else None
            page = self.get_items(job_id, after=cursor, limit=1000, status=status)
            yield from page.data
            cursor = page.next_cursor or cursor
            if page.has_more:
                continue
            if not follow:
                return
            if job.status.outcome is not None:
                items = job.status.items
                terminal = items.terminal if items else 0
                caught_up_after_end += 1
                if terminal >= (job.status.item_count or 0) or caught_up_after_end >= 3:
                    return
            self._sleep(poll_seconds)

    def get_results(self, job_id: str) -> JobResults:
        """Download links (one hour) of a completed job's results; ConflictError ``job.not_complete`` before."""
        return JobResults.from_dict(self._call("GET", f"/batch/jobs/{_seg(job_id)}/results"))

    def download_results(self, job_id: str, directory: PathLike, *, timeout: float = 60.0,
                         poll_interval: float = 0.5) -> List[Path]:
        """Downloads the manifest (``manifest.json``), the result parts and ``errors.ndjson`` into ``directory``;
        returns the files written. Streams each file (memory bounded by one chunk). A job shows its end state a
        moment before its results are written (the manifest, then the ``job.completed`` event), so right after
        :meth:`wait_until_done` the API may still answer 409 ``job.not_complete``: for an ended job this asks again
        every ``poll_interval`` seconds for up to ``timeout`` seconds, then raises that ConflictError; a job that has
        not ended raises it at once."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                results = self.get_results(job_id)
                break
            except errors.ConflictError as e:
                if e.code != "job.not_complete" or time.monotonic() >= deadline or not self.get(job_id).done:
                    raise
            self._sleep(poll_interval)
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files = []
        targets = [(results.manifest, "manifest.json"), (results.errors, "errors.ndjson")]
        targets += [(p, None) for p in results.parts]
        for ref, name in targets:
            if ref is None or not ref.url:
                continue
            name = name or os.path.basename((ref.key or "").rstrip("/"))
            if not name or name in (".", ".."):
                raise ValueError(f"a result key without a file name: {ref.key!r}")
            files.append(_download(self._t, ref.url, out / name))
        return files


class Datasets(_Resource):
    """``project.batch.datasets``: NDJSON lists of items (``/batch/datasets``)."""

    def create(self, name: str, *, idempotency_key: Optional[str] = None,
               metadata: Optional[Mapping[str, str]] = None, expiry_time: Optional[int] = None) -> Dataset:
        """Creates an empty dataset (``Uploading``); its file goes to ``status.source.upload_url``. ``metadata``: at
        most 16 string pairs. ``expiry_time``: epoch ms, after now and at most 365 days ahead (default: 30 days after
        the create); then the dataset is no longer listed, no job starts on it and its file is deleted."""
        body: Dict[str, Any] = {"name": name, "source": {"kind": "UploadedNdjson"}}
        if metadata:
            body["metadata"] = dict(metadata)
        if expiry_time is not None:
            body["expiryTime"] = int(expiry_time)
        return Dataset.from_dict(self._call("POST", "/batch/datasets", body=body,
                                            create=True, idempotency_key=idempotency_key))

    def upload(self, name: str, source: Union[PathLike, Iterable[Union[str, Mapping[str, Any]]]], *,
               wait: bool = True, timeout: float = 600.0, progress: ProgressArg = False,
               metadata: Optional[Mapping[str, str]] = None) -> Dataset:
        """Creates a dataset and uploads its items, then (``wait``) polls until it is counted.

        ``source``: a path to an NDJSON file (streamed), or a list of image URLs (each becomes
        ``{"kind": "Image", "url": …}``) or of item objects. ``progress``: True for a bar of bytes sent.
        Returns the Ready dataset; raises :class:`ResourceFailedError` when it is ``Failed`` (its ``reason``
        says which line), :class:`TimeoutError` when not counted in ``timeout`` seconds."""
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            size = path.stat().st_size
            opener = lambda: path.open("rb")  # noqa: E731
        else:
            lines = []
            for item in source:
                obj = {"kind": "Image", "url": item} if isinstance(item, str) else dict(item)
                lines.append(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))
            data = ("\n".join(lines) + "\n").encode("utf-8")
            size = len(data)
            opener = lambda: io.BytesIO(data)  # noqa: E731
        dataset = self.create(name, metadata=metadata)
        _upload(self._t, dataset.status.source.upload_url, opener, size, progress, f"dataset {name}")
        if not wait:
            return dataset
        return self.wait_until_ready(dataset.id, timeout=timeout)

    def wait_until_ready(self, dataset_id: str, *, timeout: float = 600.0, poll_interval: float = 0.5) -> Dataset:
        deadline = time.monotonic() + timeout
        while True:
            d = self.get(dataset_id)
            state = d.status.overview if d.status else None
            if state == DatasetState.READY:
                return d
            if state == DatasetState.FAILED:
                raise errors.ResourceFailedError(f"dataset {dataset_id} failed: {d.status.reason}", resource=d)
            if time.monotonic() >= deadline:
                raise errors.TimeoutError(f"dataset {dataset_id} is still {state} after {timeout} s", last=d)
            self._sleep(poll_interval)

    def get(self, dataset_id: str) -> Dataset:
        return Dataset.from_dict(self._call("GET", f"/batch/datasets/{_seg(dataset_id)}"))

    def list(self, pagination: Optional[Mapping[str, Any]] = None,
             filters: Optional[Mapping[str, Any]] = None, *, show_expired: bool = False) -> Page[Dataset]:
        """One page of datasets, newest first; ``filters`` as :meth:`Jobs.list` takes them. Datasets whose expiry
        time passed are left out unless ``show_expired`` (a cursor continues only its own listing)."""
        return self._page("/batch/datasets", Dataset, pagination, filters,
                          {"showExpired": "true"} if show_expired else None)

    def delete(self, dataset_id: str) -> DeleteResponse:
        """Deletes the dataset and its file (ConflictError ``dataset.in_use``, naming the job, while a job that has
        not ended reads it; NotFoundError ``dataset.not_found``)."""
        return DeleteResponse.from_dict(self._call("DELETE", f"/batch/datasets/{_seg(dataset_id)}"))


class Webhooks(_Resource):
    """``project.batch.webhooks``: signed destinations (``/batch/webhooks``)."""

    def create(self, name: str, endpoint: str, *, max_retries: Optional[int] = None,
               max_backoff_ms: Optional[int] = None, timeout_ms: Optional[int] = None,
               idempotency_key: Optional[str] = None) -> Webhook:
        """Creates a webhook; the answer's ``secret`` is shown this once (keep it for :func:`verify_signature`)."""
        return Webhook.from_dict(self._call("POST", "/batch/webhooks",
                                            body={"name": name, "spec": _webhook_spec(endpoint, max_retries,
                                                                                      max_backoff_ms, timeout_ms)},
                                            create=True, idempotency_key=idempotency_key))

    def get(self, webhook_id: str) -> Webhook:
        return Webhook.from_dict(self._call("GET", f"/batch/webhooks/{_seg(webhook_id)}"))

    def list(self, pagination: Optional[Mapping[str, Any]] = None) -> Page[Webhook]:
        return self._page("/batch/webhooks", Webhook, pagination)

    def update(self, webhook_id: str, *, name: Optional[str] = None, endpoint: Optional[str] = None,
               max_retries: Optional[int] = None, max_backoff_ms: Optional[int] = None,
               timeout_ms: Optional[int] = None) -> Webhook:
        """Changes what is given; what is not given stays."""
        body: Dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        spec = _webhook_spec(endpoint, max_retries, max_backoff_ms, timeout_ms)
        if spec:
            body["spec"] = spec
        return Webhook.from_dict(self._call("PUT", f"/batch/webhooks/{_seg(webhook_id)}", body=body))

    def rotate_secret(self, webhook_id: str) -> Webhook:
        """A new secret, shown in this answer only; the old one stops signing at once."""
        return Webhook.from_dict(self._call("PUT", f"/batch/webhooks/{_seg(webhook_id)}/secret"))

    def test(self, webhook_id: str) -> WebhookTestResult:
        """Sends one signed test POST and reports how the endpoint answered."""
        return WebhookTestResult.from_dict(self._call("POST", f"/batch/webhooks/{_seg(webhook_id)}:test",
                                                      create=True))

    def delete(self, webhook_id: str) -> DeleteResponse:
        return DeleteResponse.from_dict(self._call("DELETE", f"/batch/webhooks/{_seg(webhook_id)}"))

    def deliveries(self, webhook_id: str, pagination: Optional[Mapping[str, Any]] = None) -> Page[WebhookDelivery]:
        """The webhook's recent POST attempts (items, job events, retries, replays), newest first, kept 7 days."""
        return self._page(f"/batch/webhooks/{_seg(webhook_id)}/deliveries", WebhookDelivery, pagination)

    def replay(self, webhook_id: str, request_id: str) -> WebhookDelivery:
        """POSTs the attempt with this request id again (same request id, fresh time and signature) and returns the
        new attempt; the job's counters do not change. NotFoundError (``delivery.not_found``) when the webhook has
        no such attempt within the retention."""
        return WebhookDelivery.from_dict(self._call(
            "POST", f"/batch/webhooks/{_seg(webhook_id)}/deliveries/{_seg(request_id)}:replay", create=True))


def _webhook_spec(endpoint, max_retries, max_backoff_ms, timeout_ms) -> Dict[str, Any]:
    spec: Dict[str, Any] = {}
    if endpoint is not None:
        spec["endpoint"] = endpoint
    retries = {k: v for k, v in (("maxRetries", max_retries), ("maxBackoffMs", max_backoff_ms)) if v is not None}
    if retries:
        spec["retries"] = retries
    if timeout_ms is not None:
        spec["timeoutMs"] = timeout_ms
    return spec


class Models(_Resource):
    """``project.models``: ONNX models (``/models``)."""

    def create(self, name: str, task: str = "ImageClassification", *, labels: Optional[List[str]] = None,
               preprocess: Optional[Mapping[str, Any]] = None, idempotency_key: Optional[str] = None) -> Model:
        """Registers a model (``Uploading``); its ONNX file goes to ``status.source.upload_url``. ``preprocess``:
        the API's keys, camelCase or snake_case (``resize_short_side``, ``top_k`` …)."""
        body: Dict[str, Any] = {"name": name, "task": getattr(task, "value", task),
                                "source": {"kind": "UploadedOnnx"}}
        if labels is not None:
            body["labels"] = list(labels)
        if preprocess is not None:
            body["preprocess"] = _camelize(preprocess)
        return Model.from_dict(self._call("POST", "/models", body=body, create=True,
                                          idempotency_key=idempotency_key))

    def upload(self, name: str, file: PathLike, task: str = "ImageClassification", *,
               labels: Optional[List[str]] = None, preprocess: Optional[Mapping[str, Any]] = None,
               wait: bool = True, timeout: float = 300.0, progress: ProgressArg = False) -> Model:
        """Registers a model, uploads the ONNX file and (``wait``) polls until it is Ready; raises
        :class:`ResourceFailedError` when the file is refused (its ``reason``)."""
        path = Path(file)
        model = self.create(name, task, labels=labels, preprocess=preprocess)
        _upload(self._t, model.status.source.upload_url, lambda: path.open("rb"), path.stat().st_size, progress,
                f"model {name}")
        if not wait:
            return model
        deadline = time.monotonic() + timeout
        while True:
            m = self.get(model.id)
            state = m.status.overview if m.status else None
            if state == ModelState.READY:
                return m
            if state == ModelState.FAILED:
                raise errors.ResourceFailedError(f"model {model.id} failed: {m.status.reason}", resource=m)
            if time.monotonic() >= deadline:
                raise errors.TimeoutError(f"model {model.id} is still {state} after {timeout} s", last=m)
            self._sleep(0.5)

    def get(self, model_id: str) -> Model:
        return Model.from_dict(self._call("GET", f"/models/{_seg(model_id)}"))

    def list(self, pagination: Optional[Mapping[str, Any]] = None) -> Page[Model]:
        return self._page("/models", Model, pagination)

    def delete(self, model_id: str) -> DeleteResponse:
        return DeleteResponse.from_dict(self._call("DELETE", f"/models/{_seg(model_id)}"))


class Deployments(_Resource):
    """``project.deployments``: a model bound to a target, batch size and concurrency (``/deployments``)."""

    def create(self, name: str, model_id: str, *, target: str = "Lambda", batch_size: Optional[int] = None,
               max_concurrency: Optional[int] = None, idempotency_key: Optional[str] = None) -> Deployment:
        body: Dict[str, Any] = {"name": name, "modelId": model_id, "target": getattr(target, "value", target)}
        if batch_size is not None:
            body["batchSize"] = batch_size
        if max_concurrency is not None:
            body["maxConcurrency"] = max_concurrency
        return Deployment.from_dict(self._call("POST", "/deployments", body=body, create=True,
                                               idempotency_key=idempotency_key))

    def get(self, deployment_id: str) -> Deployment:
        return Deployment.from_dict(self._call("GET", f"/deployments/{_seg(deployment_id)}"))

    def list(self, pagination: Optional[Mapping[str, Any]] = None) -> Page[Deployment]:
        return self._page("/deployments", Deployment, pagination)

    def delete(self, deployment_id: str) -> DeleteResponse:
        return DeleteResponse.from_dict(self._call("DELETE", f"/deployments/{_seg(deployment_id)}"))


class Executions(_Resource):
    """``project.executions``: storage-based executions, one task per file of a folder (``/executions``)."""

    def create(self, options: Mapping[str, Any], *, idempotency_key: Optional[str] = None) -> Execution:
        """Starts an execution. ``options`` as the API takes them (camelCase or snake_case keys): ``model``
        ``{id, build}``, ``bucket`` or ``source_bucket``/``destination_bucket``, ``source_folder``,
        ``destination_folder`` (``file:///…`` with ``sluice local``), ``input_file_type``, ``output_file_type``
        (CSV, PARQUET, FEATHER, NDJSON), ``job_timeout``, ``file_timeout``, ``parallelism``, ``compute``
        ``{target: Lambda | GpuPool | CpuPool, instance, purchase_option: onDemand | spot, tasks}``, ``parameters`` and
        ``metadata`` (both passed as given), and the credentials: ``iam_role_arn`` (a role of yours that trusts
        :meth:`get_role`'s principals with its external id) or ``access_token_name`` and ``access_secret_name``;
        ``limit_files`` (only the first N files: a sample run), ``max_failed_files`` and ``max_failed_row_rate``
        (the error budget: past it the execution ends with reason ``execution.error_budget_exceeded``)."""
        return Execution.from_dict(self._call("POST", "/executions",
                                              body=_camelize(options, keep=("parameters", "metadata")),
                                              create=True, idempotency_key=idempotency_key))

    start = create

    def dry_run(self, options: Mapping[str, Any]) -> ExecutionDryRun:
        """What :meth:`create` would do, checked as a start is (the same errors), with nothing started, stored or
        written: ``file_count``, ``bytes``, the first 1,000 ``files`` (name and bytes), ``hidden_files``,
        ``estimated_seconds``, ``estimated_cost_usd`` and their ``basis``. ``options`` as :meth:`create` takes them
        (``limit_files`` for a sample)."""
        return ExecutionDryRun.from_dict(self._call("POST", "/executions",
                                                    body=_camelize(options, keep=("parameters", "metadata")),
                                                    params={"dryRun": "true"}))

    def get_role(self) -> ExecutionRole:
        """This project's external id and the principals a role named by ``iam_role_arn`` must trust
        (``GET /execution-role``)."""
        return ExecutionRole.from_dict(self._call("GET", "/execution-role"))

    def get(self, execution_id: str) -> Execution:
        return Execution.from_dict(self._call("GET", f"/executions/{_seg(execution_id)}"))

    def list(self, pagination: Optional[Mapping[str, Any]] = None,
             filters: Optional[Mapping[str, Any]] = None) -> Page[Execution]:
        """One page of executions, newest first; ``filters`` as :meth:`Jobs.list` takes them, but no
        ``name_prefix`` (executions have no name)."""
        return self._page("/executions", Execution, pagination, filters)

    def cancel(self, execution_id: str) -> Execution:
        return Execution.from_dict(self._call("POST", f"/executions/{_seg(execution_id)}:cancel"))

    def get_report(self, execution_id: str, page: Optional[str] = None) -> ExecutionReport:
        """One page of the per-file report."""
        return ExecutionReport.from_dict(self._call("GET", f"/executions/{_seg(execution_id)}/report",
                                                    params={"page": page}))

    def get_all_files(self, execution_id: str) -> Iterator[ExecutionFileReport]:
        """Every file of the report, page after page."""
        page = None
        while True:
            report = self.get_report(execution_id, page)
            yield from report.files
            if not report.next_page:
                return
            page = report.next_page

    def wait_until_done(self, execution_id: str, *, timeout: Optional[float] = None,
                        poll_interval: float = 1.0, progress: ProgressArg = False) -> Execution:
        """Polls until the execution is no longer Pending or Running; raises :class:`TimeoutError` on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = Bar(None, execution_id, unit="files") if progress is True else None
        try:
            while True:
                e = self.get(execution_id)
                if callable(progress):
                    progress(e)
                elif bar is not None and e.status is not None:
                    bar.set_total(e.status.total_files)
                    bar.update_to((e.status.finished_files or 0) + (e.status.failed_files or 0)
                                  + (e.status.skipped_files or 0), str(getattr(e.status.overview, "value", "")))
                if e.done:
                    return e
                if deadline is not None and time.monotonic() >= deadline:
                    raise errors.TimeoutError(f"execution {execution_id} is still running after {timeout} s", last=e)
                self._sleep(poll_interval)
        finally:
            if bar is not None:
                bar.close()


class DeadLetters(_Resource):
    """``project.dead_letters``: messages that failed on every attempt (``/dead-letters``)."""

    def get(self, dead_letter_id: str) -> DeadLetter:
        return DeadLetter.from_dict(self._call("GET", f"/dead-letters/{_seg(dead_letter_id)}"))

    def list(self, pagination: Optional[Mapping[str, Any]] = None) -> Page[DeadLetter]:
        return self._page("/dead-letters", DeadLetter, pagination)

    def redrive(self, dead_letter_id: str, *, idempotency_key: Optional[str] = None) -> Job:
        """Runs exactly the dead letter's lines again in a new job (once per dead letter); returns that job."""
        return Job.from_dict(self._call("POST", f"/dead-letters/{_seg(dead_letter_id)}:redrive", create=True,
                                        idempotency_key=idempotency_key))


class ApiKeys(_Resource):
    """``project.api_keys``: the project's API keys (``/api-keys``)."""

    def create(self, name: Optional[str] = None, *, idempotency_key: Optional[str] = None) -> ApiKey:
        """A new key; ``key`` is in this answer only."""
        return ApiKey.from_dict(self._call("POST", "/api-keys", body={"name": name} if name else {}, create=True,
                                           idempotency_key=idempotency_key))

    def list(self, pagination: Optional[Mapping[str, Any]] = None) -> Page[ApiKey]:
        return self._page("/api-keys", ApiKey, pagination)

    def revoke(self, key_id: str) -> ApiKey:
        """Revokes a key at once (not the calling key: BadRequestError)."""
        return ApiKey.from_dict(self._call("DELETE", f"/api-keys/{_seg(key_id)}"))

    delete = revoke


class Secrets(_Resource):
    """``project.secrets``: the project's stored secrets (``/secrets``), e.g. the access key an execution names in
    ``access_token_name`` / ``access_secret_name``. Values are write-only: no call returns one. A name of another
    project answers exactly as a name that does not exist (NotFoundError)."""

    def create(self, name: str, value: str, *, idempotency_key: Optional[str] = None) -> Secret:
        return Secret.from_dict(self._call("POST", "/secrets", body={"name": name, "value": value}, create=True,
                                           idempotency_key=idempotency_key))

    def list(self) -> List[Secret]:
        """Every secret of the project (at most 100), in name order, without values."""
        return [Secret.from_dict(d) for d in self._call("GET", "/secrets").get("data", [])]

    def rotate(self, name: str, value: str) -> Secret:
        """Gives the secret a new value."""
        return Secret.from_dict(self._call("PUT", f"/secrets/{_seg(name)}", body={"value": value}))

    def delete(self, name: str) -> DeleteResponse:
        """Deletes the secret at once (no recovery window)."""
        return DeleteResponse.from_dict(self._call("DELETE", f"/secrets/{_seg(name)}"))


class UsageSums(_Resource):
    """``project.usage``: the project's usage and estimated cost over UTC days (``/usage``)."""

    def get(self, from_: Optional[str] = None, to: Optional[str] = None) -> ProjectUsage:
        """The sum over the days ``from_`` to ``to`` (``YYYY-MM-DD``, UTC, both included; default: the 30 days up to
        today). A job or execution counts on the day it ended. BadRequestError ``usage.bad_range`` for more than 366
        days or ``from_`` after ``to``, ``usage.bad_date`` for a value that is not a date."""
        params = {k: v for k, v in (("from", from_), ("to", to)) if v is not None}
        return ProjectUsage.from_dict(self._call("GET", "/usage", params=params))


class Batch:
    """``project.batch``: jobs, datasets and webhooks."""

    def __init__(self, transport: Transport, project_id: str):
        self.jobs = Jobs(transport, project_id)
        self.datasets = Datasets(transport, project_id)
        self.webhooks = Webhooks(transport, project_id)


class Project:
    """One project's resources: ``batch.jobs``, ``batch.datasets``, ``batch.webhooks``, ``models``,
    ``deployments``, ``executions``, ``dead_letters``, ``api_keys``, ``secrets``, ``usage``."""

    def __init__(self, transport: Transport, project_id: str):
        self.project_id = project_id
        self.batch = Batch(transport, project_id)
        self.models = Models(transport, project_id)
        self.deployments = Deployments(transport, project_id)
        self.executions = Executions(transport, project_id)
        self.dead_letters = DeadLetters(transport, project_id)
        self.api_keys = ApiKeys(transport, project_id)
        self.secrets = Secrets(transport, project_id)
        self.usage = UsageSums(transport, project_id)

    def __repr__(self):
        return f"Project({self.project_id!r})"


# ---- presigned transfers -----------------------------------------------------------------------------------------

class _ProgressReader:
    """A file object that counts what requests reads from it; len() gives requests the Content-Length."""

    def __init__(self, f, size: int, bar: Optional[Bar], callback):
        self._f, self._size, self._bar, self._cb, self._n = f, size, bar, callback, 0

    def __len__(self):
        return self._size

    def read(self, n: int = -1) -> bytes:
        chunk = self._f.read(n)
        self._n += len(chunk)
        if self._bar is not None:
            self._bar.update_to(self._n)
        if self._cb is not None:
            self._cb(self._n, self._size)
        return chunk


def _upload(t: Transport, upload_url, opener, size: int, progress: ProgressArg, desc: str):
    """PUTs the bytes to a presigned URL exactly as the API described it (method, URL, headers), retrying 5xx and
    connection failures (a PUT of the whole object is idempotent)."""
    if upload_url is None or not upload_url.url:
        raise errors.SluiceError("the API gave no upload URL")
    bar = Bar(size, desc, unit="B", unit_scale=True) if progress is True else None
    callback = progress if callable(progress) else None
    try:
        for attempt in range(1, t.max_retries + 2):
            with opener() as f:
                body = _ProgressReader(f, size, bar, callback)
                try:
                    r = t.session.request(upload_url.method or "PUT", upload_url.url, data=body,
                                          headers=dict(upload_url.headers or {}), timeout=(t.timeout[0], 600)
                                          if isinstance(t.timeout, tuple) else t.timeout)
                except requests.exceptions.RequestException as e:
                    if attempt <= t.max_retries:
                        t.sleep(t._backoff(attempt, None))
                        continue
                    raise errors.ConnectionError(upload_url.url.split("?")[0], e) from e
            if r.status_code >= 500 and attempt <= t.max_retries:
                t.sleep(t._backoff(attempt, r.headers.get("Retry-After")) or 1.0)
                continue
            if not 200 <= r.status_code < 300:
                raise errors.error_for(r.status_code, "upload.failed", (r.text or r.reason or "")[:500], None)
            return
    finally:
        if bar is not None:
            bar.close()


def _download(t: Transport, url: str, target: Path) -> Path:
    tmp = target.with_name(target.name + ".part")
    with t.session.get(url, stream=True, timeout=t.timeout) as r:
        if not 200 <= r.status_code < 300:
            raise errors.error_for(r.status_code, "download.failed", f"could not download {target.name}", None)
        with tmp.open("wb") as f:
            for chunk in r.iter_content(chunk_size=1 << 16):
                f.write(chunk)
    tmp.replace(target)
    return target
