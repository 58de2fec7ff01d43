"""Typed models of the Sluice API (v1) responses: plain dataclasses, no dependency.

Field names are the API's camelCase names in snake_case (``createTime`` → ``create_time``); times are epoch
milliseconds (int), sizes bytes. :meth:`Model.from_dict` reads an API JSON object: a field the SDK does not know yet is
kept in ``extra`` (so an older SDK keeps working against a newer API), and a state string the SDK's enum does not know
is kept as the plain string. ``to_dict()`` gives the API's JSON object back (camelCase, without ``None`` fields).

Source of the shapes: the records of ``shared/core`` (``Job``, ``JobSpec``, ``Dataset`` …) and README's API section;
``tests/test_openapi.py`` checks every model's fields against ``docs/openapi.yaml``.
"""
from __future__ import annotations

import dataclasses
import enum
import sys
import typing
from dataclasses import dataclass, field
from typing import Any, Dict, Generic, List, Optional, TypeVar, Union

__all__ = [
    "JobState", "Outcome", "ErrorBudget", "DatasetState", "ModelState", "ExecutionState", "FileState", "ModelTask", "DeploymentTarget",
    "UploadUrl", "UploadStatus", "JobDeployment", "Destination", "ResultDelivery", "JobSpec", "JobItemStatus",
    "JobProgress", "JobStatus", "Job", "FailureClass", "JobLogEntry", "JobLogs", "ItemStatus", "JobItem", "JobItems", "LineageLine", "JobLineage", "InvalidLine", "RefusedUrl",
    "ExecutionDryRun", "ExecutionDryRunFile", "ExecutionEstimateBasis",
    "HostCount", "EstimateBasis", "JobDryRun", "ResultFile", "JobResults", "DatasetSource",
    "DatasetStatus", "Dataset", "WebhookRetries", "WebhookSpec", "Webhook", "WebhookTestResult", "JobEventType", "WebhookDelivery", "ModelSource",
    "Preprocess", "ModelStatus", "Model", "Deployment", "DeadLetter", "ApiKey", "Secret", "ExecutionFolder", "ExecutionSpec",
    "ExecutionStatus", "Execution", "ExecutionRole", "ExecutionFileReport", "ExecutionReport", "DeleteResponse", "Page",
    "UsagePriceTable", "Usage", "ProjectUsage",
]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class _Base:
    """from_dict / to_dict of every model."""

    extra: Dict[str, Any]

    @classmethod
    def from_dict(cls, data: Optional[Dict[str, Any]]):
        if data is None:
            return None
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} needs a JSON object, got {type(data).__name__}")
        hints = _hints(cls)
        values: Dict[str, Any] = {}
        known = set()
        for f in dataclasses.fields(cls):
            if f.name == "extra":
                continue
            key = _camel(f.name)
            known.add(key)
            if key in data:
                values[f.name] = _convert(hints[f.name], data[key])
        obj = cls(**values)
        obj.extra = {k: v for k, v in data.items() if k not in known}
        return obj

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            v = getattr(self, f.name)
            if v is not None:
                out[_camel(f.name)] = _plain(v)
        out.update(self.extra or {})
        return out

    @classmethod
    def api_fields(cls) -> List[str]:
        """The API's (camelCase) names of the fields this model reads."""
        return [_camel(f.name) for f in dataclasses.fields(cls) if f.name != "extra"]


_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls) -> Dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, vars(sys.modules[__name__]))
    return _HINTS[cls]


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin is Union:  # Optional[X] and Union[Enum, str]
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value)
    if origin in (list, List):
        (item,) = typing.get_args(tp) or (Any,)
        return [_convert(item, v) for v in value]
    if origin in (dict, Dict):
        return dict(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            return value  # a state this SDK does not know yet: kept as the API's string
    if isinstance(tp, type) and issubclass(tp, _Base):
        return tp.from_dict(value)
    return value


def _plain(v: Any) -> Any:
    if isinstance(v, _Base):
        return v.to_dict()
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _extra():
    return field(default_factory=dict, repr=False, compare=False)


class JobState(str, enum.Enum):
    """``status.overview`` of a job; a terminal one never changes."""
    WAITING = "Waiting"
    RUNNING = "Running"
    FINISHED = "Finished"
    CANCELLED = "Cancelled"
    TIMED_OUT = "TimedOut"
    FAILED = "Failed"

    @property
    def terminal(self) -> bool:
        return self not in (JobState.WAITING, JobState.RUNNING)


class Outcome(str, enum.Enum):
    """``status.outcome`` of an ended job or execution (absent while it runs): what the user got, beside
    ``overview``. Succeeded: every item delivered / every file finished; PartiallySucceeded; Failed: nothing
    delivered, or the job failed; Stopped: cancelled, timed out, or its error budget was exceeded."""
    SUCCEEDED = "Succeeded"
    PARTIALLY_SUCCEEDED = "PartiallySucceeded"
    FAILED = "Failed"
    STOPPED = "Stopped"


class DatasetState(str, enum.Enum):
    UPLOADING = "Uploading"
    VALIDATING = "Validating"
    READY = "Ready"
    FAILED = "Failed"
    #: a delete took it
    DELETING = "Deleting"
    #: its expiry_time passed and its file was deleted
    EXPIRED = "Expired"


class ModelState(str, enum.Enum):
    UPLOADING = "Uploading"
    READY = "Ready"
    FAILED = "Failed"


class ExecutionState(str, enum.Enum):
    PENDING = "Pending"
    RUNNING = "Running"
    FINISHED = "Finished"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    TIMED_OUT = "TimedOut"

    @property
    def terminal(self) -> bool:
        return self not in (ExecutionState.PENDING, ExecutionState.RUNNING)


class FileState(str, enum.Enum):
    PENDING = "Pending"
    FINISHED = "Finished"
    FAILED = "Failed"
    SKIPPED = "Skipped"


class ModelTask(str, enum.Enum):
    IMAGE_CLASSIFICATION = "ImageClassification"
    OBJECT_DETECTION = "ObjectDetection"
    TABULAR = "Tabular"


class DeploymentTarget(str, enum.Enum):
    LAMBDA = "Lambda"
    GPU_POOL = "GpuPool"


@dataclass
class UploadUrl(_Base):
    """Where to send a file: ``method`` (PUT) to ``url`` with exactly ``headers``; valid until ``expires_at_time``."""
    method: Optional[str] = None
    url: Optional[str] = None
    headers: Optional[Dict[str, str]] = None
    expires_at_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class UploadStatus(_Base):
    upload_url: Optional[UploadUrl] = None
    extra: Dict[str, Any] = _extra()


# ---- jobs -------------------------------------------------------------------------------------------------------

@dataclass
class JobDeployment(_Base):
    """What runs a job: a ``deployment_id``, or a ``model_id`` with a ``target`` (Lambda by default)."""
    model_id: Optional[str] = None
    target: Optional[Union[DeploymentTarget, str]] = None
    deployment_id: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Destination(_Base):
    kind: Optional[str] = None
    webhook_id: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ResultDelivery(_Base):
    destinations: Optional[List[Destination]] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ErrorBudget(_Base):
    """``spec.errorBudget``: either ``max_failures`` or ``max_failure_rate`` (counted from ``min_items`` terminal
    items, default 100). Past it the job ends Failed with reason ``job.error_budget_exceeded`` (outcome Stopped)."""
    max_failures: Optional[int] = None
    max_failure_rate: Optional[float] = None
    min_items: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class JobSpec(_Base):
    dataset_id: Optional[str] = None
    deployment: Optional[JobDeployment] = None
    result_delivery: Optional[ResultDelivery] = None
    start_at_time: Optional[int] = None
    stop_at_time: Optional[int] = None
    batch_size: Optional[int] = None
    retry_of: Optional[str] = None
    events: Optional[List[str]] = None
    error_budget: Optional[ErrorBudget] = None
    #: a sample run: only the first ``limit`` valid lines run (1..10,000)
    limit: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class JobItemStatus(_Base):
    """Item counters; when the job is terminal, the terminal counts add up to the job's ``item_count``."""
    gathered: int = 0
    failed_gather: int = 0
    preprocessed: int = 0
    failed_process: int = 0
    predicted: int = 0
    failed_predict: int = 0
    delivered: int = 0
    failed_deliver: int = 0
    skipped: int = 0
    extra: Dict[str, Any] = _extra()

    @property
    def terminal(self) -> int:
        """Items that reached an end: delivered (or predicted without a webhook), failed at a stage, or skipped."""
        return (self.failed_gather + self.failed_process + self.failed_predict + self.delivered + self.failed_deliver
                + self.skipped)


@dataclass
class JobProgress(_Base):
    batches_queued: Optional[int] = None
    batches_done: Optional[int] = None
    average_batch_ms: Optional[float] = None
    items_per_second: Optional[float] = None
    estimated_completion_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class UsagePriceTable(_Base):
    """The dated price table an estimate used: its AWS region, the day the prices were taken, the pricing pages."""
    region: Optional[str] = None
    date: Optional[str] = None
    sources: Optional[List[str]] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Usage(_Base):
    """What a job, an execution or a project used, in AWS's billing units, and the estimated cost in US dollars
    (``estimated_cost_usd``, ``None`` where the price table has no prices for the deployment's region)."""
    lambda_gb_seconds: Optional[float] = None
    gpu_task_seconds: Optional[float] = None
    cpu_task_seconds: Optional[float] = None
    sqs_requests: Optional[int] = None
    dynamo_db_read_units: Optional[float] = None
    dynamo_db_write_units: Optional[float] = None
    s3_requests: Optional[int] = None
    s3_put_requests: Optional[int] = None
    s3_get_requests: Optional[int] = None
    bytes_fetched: Optional[int] = None
    webhook_posts: Optional[int] = None
    estimated_cost_usd: Optional[float] = None
    price_table: Optional[UsagePriceTable] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ProjectUsage(_Base):
    """``GET /usage``: the project's usage summed over the UTC days ``from_`` to ``to`` (both included)."""
    object: Optional[str] = None
    project_id: Optional[str] = None
    from_: Optional[str] = None
    to: Optional[str] = None
    usage: Optional[Usage] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class JobStatus(_Base):
    overview: Optional[Union[JobState, str]] = None
    outcome: Optional[Union[Outcome, str]] = None
    message: Optional[str] = None
    reason: Optional[str] = None
    items: Optional[JobItemStatus] = None
    item_count: Optional[int] = None
    update_time: Optional[int] = None
    progress: Optional[JobProgress] = None
    usage: Optional[Usage] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Job(_Base):
    """A batch job (``batchjob_…``)."""
    id: str = ""
    object: Optional[str] = None
    name: Optional[str] = None
    project_id: Optional[str] = None
    spec: Optional[JobSpec] = None
    #: the ids of the jobs ``retry`` (or a dead letter's redrive) made of this one, oldest first (at most 20)
    retries: Optional[List[str]] = None
    status: Optional[JobStatus] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    metadata: Optional[Dict[str, str]] = None
    extra: Dict[str, Any] = _extra()

    @property
    def done(self) -> bool:
        """True once the job is in a terminal state (Finished, Cancelled, TimedOut, Failed)."""
        s = self.status.overview if self.status else None
        return isinstance(s, JobState) and s.terminal or (isinstance(s, str) and s not in ("Waiting", "Running"))


class FailureClass(str, enum.Enum):
    """Whether running a failed item again can change its outcome."""
    RETRYABLE = "Retryable"
    PERMANENT = "Permanent"


@dataclass
class JobLogEntry(_Base):
    id: Optional[str] = None
    kind: Optional[str] = None
    create_time: Optional[int] = None
    level: Optional[str] = None
    item: Optional[str] = None
    index: Optional[int] = None
    status: Optional[str] = None
    time_ms: Optional[float] = None
    reason: Optional[str] = None
    #: on a failed entry: Retryable or Permanent
    failure_class: Optional[Union[FailureClass, str]] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class InvalidLine(_Base):
    """A dataset line a job would fail (``item.*``), numbered from 0 as log entries' ``index``."""
    line: int = 0
    code: Optional[str] = None
    reason: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class RefusedUrl(_Base):
    """A valid line whose URL the outbound guard refuses (the run would fail it ``url.*``)."""
    line: int = 0
    url: Optional[str] = None
    code: Optional[str] = None
    reason: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class HostCount(_Base):
    host: Optional[str] = None
    items: int = 0
    extra: Dict[str, Any] = _extra()


@dataclass
class EstimateBasis(_Base):
    """Where a dry run's estimate comes from (``source``: History, the measured throughput of the deployment's
    finished jobs, else Benchmark, the repository's committed figures)."""
    source: Optional[str] = None
    items_per_second: Optional[float] = None
    workers: Optional[int] = None
    usd_per_million_items: Optional[float] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class JobDryRun(_Base):
    """What creating a job would do; nothing was created (``jobs.dry_run``). Lists hold the first 1,000."""
    dry_run: bool = True
    spec: Optional[JobSpec] = None
    line_count: int = 0
    item_count: int = 0
    invalid_line_count: int = 0
    invalid_lines: List[InvalidLine] = field(default_factory=list)
    refused_url_count: int = 0
    refused_urls: List[RefusedUrl] = field(default_factory=list)
    hosts: List[HostCount] = field(default_factory=list)
    hosts_truncated: bool = False
    hosts_checked: int = 0
    estimated_seconds: int = 0
    estimated_cost_usd: float = 0.0
    basis: Optional[EstimateBasis] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class LineageLine(_Base):
    """One line of a job (``line`` from 0) with its final ``outcome`` across the job and its retries (Delivered,
    Failed, Skipped, Pending), the ``job_id`` whose attempt decided it, how many jobs ran it (``attempts``), and for
    a failure its ``reason`` and ``failure_class``."""
    line: Optional[int] = None
    outcome: Optional[str] = None
    job_id: Optional[str] = None
    attempts: Optional[int] = None
    reason: Optional[str] = None
    failure_class: Optional[Union[FailureClass, str]] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class JobLineage(_Base):
    """One page of a job's lineage: ``jobs`` (the job and its retries, oldest first), ``data`` (its lines in order)
    and the ``next_page`` cursor (``None`` on the last)."""
    job_id: Optional[str] = None
    jobs: List[str] = field(default_factory=list)
    data: List[LineageLine] = field(default_factory=list)
    next_page: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class JobLogs(_Base):
    """One page of a job's log: ``data`` (oldest first; ``entries`` is the same list, the reference SDK's name) and
    the ``next_page`` cursor (``None`` on the last)."""
    data: List[JobLogEntry] = field(default_factory=list)
    next_page: Optional[str] = None
    extra: Dict[str, Any] = _extra()

    @property
    def entries(self) -> List[JobLogEntry]:
        return self.data


class ItemStatus(str, enum.Enum):
    """The end an item reached (``JobItem.status``, the ``status`` filter of ``get_items``)."""
    DELIVERED = "Delivered"
    FAILED_GATHER = "FailedGather"
    FAILED_PROCESS = "FailedProcess"
    FAILED_PREDICT = "FailedPredict"
    FAILED_DELIVER = "FailedDeliver"
    SKIPPED = "Skipped"


@dataclass
class JobItem(_Base):
    """One item's committed outcome: ``status`` (an ``ItemStatus``); ``prediction`` on Delivered items, ``reason``
    and ``code`` on the others; ``id`` when the line had one and the item was predicted."""
    index: int = 0
    id: Optional[str] = None
    url: Optional[str] = None
    status: Optional[ItemStatus] = None
    prediction: Any = None
    reason: Optional[str] = None
    code: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class JobItems(_Base):
    """One page of a job's item outcomes in commit order: ``data``, ``next_cursor`` (on every page, the last one too:
    pass it as ``after`` to read what was committed since) and ``has_more`` (False: caught up)."""
    data: List[JobItem] = field(default_factory=list)
    next_cursor: Optional[str] = None
    has_more: bool = False
    extra: Dict[str, Any] = _extra()


@dataclass
class ResultFile(_Base):
    key: Optional[str] = None
    url: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class JobResults(_Base):
    """Download links (valid until ``expires_at_time``) to the manifest, result parts and errors of a completed job."""
    manifest: Optional[ResultFile] = None
    parts: List[ResultFile] = field(default_factory=list)
    errors: Optional[ResultFile] = None
    expires_at_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


# ---- datasets, webhooks, models, deployments ---------------------------------------------------------------------

@dataclass
class DatasetSource(_Base):
    """``kind`` UploadedNdjson (an upload) or JobCopy (lines a sample run or a retry copied for ``job_id``; deleting
    that job deletes the copy)."""
    kind: Optional[str] = None
    job_id: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class DatasetStatus(_Base):
    overview: Optional[Union[DatasetState, str]] = None
    reason: Optional[str] = None
    item_count: Optional[int] = None
    size_bytes: Optional[int] = None
    etag: Optional[str] = None
    source: Optional[UploadStatus] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Dataset(_Base):
    """An NDJSON list of items (``dataset_…``); ``status.source.upload_url`` is where its file goes."""
    id: str = ""
    object: Optional[str] = None
    name: Optional[str] = None
    project_id: Optional[str] = None
    source: Optional[DatasetSource] = None
    status: Optional[DatasetStatus] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    metadata: Optional[Dict[str, str]] = None
    #: when the dataset expires (epoch ms); then it is not listed (unless ``show_expired``) and its file is deleted
    expiry_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class WebhookRetries(_Base):
    max_retries: Optional[int] = None
    max_backoff_ms: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class WebhookSpec(_Base):
    endpoint: Optional[str] = None
    retries: Optional[WebhookRetries] = None
    timeout_ms: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Webhook(_Base):
    """A signed HTTPS destination (``webhook_…``); ``secret`` is set only in the answer that creates or rotates it."""
    id: str = ""
    object: Optional[str] = None
    name: Optional[str] = None
    project_id: Optional[str] = None
    spec: Optional[WebhookSpec] = None
    secret: Optional[str] = field(default=None, repr=False)
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


class JobEventType(str, enum.Enum):
    """A job event a webhook subscribes to (``spec.events``) and a delivery attempt names (``WebhookDelivery.event``)."""
    STARTED = "job.started"
    PROGRESS = "job.progress"
    COMPLETED = "job.completed"


@dataclass
class WebhookDelivery(_Base):
    """One POST attempt to a webhook (``webhooks.deliveries``): ``item_index`` for an item, ``event`` for a job event
    (with ``progress_percent``, 25, 50 or 75, for ``job.progress``); ``status_code`` 0 when no HTTP answer came;
    ``replay`` for a replayed one."""
    id: str = ""
    object: Optional[str] = None
    webhook_id: Optional[str] = None
    request_id: Optional[str] = None
    job_id: Optional[str] = None
    item_index: Optional[int] = None
    event: Optional[JobEventType] = None
    progress_percent: Optional[int] = None
    status_code: Optional[int] = None
    latency_ms: Optional[int] = None
    error: Optional[str] = None
    time: Optional[int] = None
    replay: Optional[bool] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class WebhookTestResult(_Base):
    status: Optional[str] = None
    response_code: Optional[int] = None
    latency_ms: Optional[int] = None
    attempt_count: Optional[int] = None
    reason: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ModelSource(_Base):
    kind: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Preprocess(_Base):
    resize_short_side: Optional[int] = None
    crop_size: Optional[int] = None
    mean: Optional[List[float]] = None
    std: Optional[List[float]] = None
    top_k: Optional[int] = None
    input_size: Optional[int] = None
    score_threshold: Optional[float] = None
    nms_iou: Optional[float] = None
    apply_exif_orientation: Optional[bool] = None
    decode: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ModelStatus(_Base):
    overview: Optional[Union[ModelState, str]] = None
    reason: Optional[str] = None
    checksum: Optional[str] = None
    size_bytes: Optional[int] = None
    source: Optional[UploadStatus] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Model(_Base):
    """An ONNX model (``model_…``)."""
    id: str = ""
    object: Optional[str] = None
    name: Optional[str] = None
    project_id: Optional[str] = None
    task: Optional[Union[ModelTask, str]] = None
    source: Optional[ModelSource] = None
    preprocess: Optional[Preprocess] = None
    labels: Optional[List[str]] = field(default=None, repr=False)
    status: Optional[ModelStatus] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Deployment(_Base):
    """A model bound to a target, a batch size and a maximum concurrency (``deploy_…``)."""
    id: str = ""
    object: Optional[str] = None
    name: Optional[str] = None
    project_id: Optional[str] = None
    model_id: Optional[str] = None
    target: Optional[Union[DeploymentTarget, str]] = None
    batch_size: Optional[int] = None
    max_concurrency: Optional[int] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class DeadLetter(_Base):
    """A message that failed on every attempt (``dlq_…``), and what was accounted for it."""
    id: str = ""
    object: Optional[str] = None
    project_id: Optional[str] = None
    job_id: Optional[str] = None
    queue: Optional[str] = None
    batch_id: Optional[str] = None
    message_id: Optional[str] = None
    lines: Optional[List[int]] = None
    from_line: Optional[int] = None
    reason: Optional[str] = None
    create_time: Optional[int] = None
    redrive_job_id: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ApiKey(_Base):
    """An API key (``apikey_…``); ``key`` is set only in the answer that creates it, ``prefix`` always."""
    id: str = ""
    object: Optional[str] = None
    name: Optional[str] = None
    project_id: Optional[str] = None
    prefix: Optional[str] = None
    key: Optional[str] = field(default=None, repr=False)
    create_time: Optional[int] = None
    revoked_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Secret(_Base):
    """A stored secret of the project (``/secrets``): its name and times, never its value (values are write-only)."""
    name: str = ""
    object: Optional[str] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    extra: Dict[str, Any] = _extra()


# ---- executions ------------------------------------------------------------------------------------------------

@dataclass
class ExecutionFolder(_Base):
    """A folder: ``bucket`` and ``path`` (bucket ``None``: a local ``file://`` folder of ``sluice local``)."""
    bucket: Optional[str] = None
    path: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ExecutionCompute(_Base):
    """Where an execution's files run: ``target`` Lambda (the default), GpuPool or CpuPool; ``instance`` one of the
    target's instances on the deployment; ``purchase_option`` onDemand or spot (pools only); ``tasks`` files at once."""
    target: Optional[str] = None
    instance: Optional[str] = None
    purchase_option: Optional[str] = None
    tasks: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ExecutionSpec(_Base):
    model_id: Optional[str] = None
    model_build: Optional[str] = None
    source: Optional[ExecutionFolder] = None
    destination: Optional[ExecutionFolder] = None
    input_file_type: Optional[str] = None
    output_file_type: Optional[str] = None
    job_timeout: Optional[int] = None
    file_timeout: Optional[int] = None
    parallelism: Optional[int] = None
    parameters: Optional[Dict[str, str]] = None
    access_token_name: Optional[str] = None
    access_secret_name: Optional[str] = None
    iam_role_arn: Optional[str] = None
    limit_files: Optional[int] = None
    max_failed_files: Optional[int] = None
    max_failed_row_rate: Optional[float] = None
    compute: Optional[ExecutionCompute] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ExecutionDryRunFile(_Base):
    """A file a dry run would run: its ``name`` relative to the source folder and its size in ``bytes``."""
    name: Optional[str] = None
    bytes: Optional[int] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ExecutionEstimateBasis(_Base):
    """Where an execution dry run's estimate comes from (``source``: Benchmark, the repository's committed figures
    for the input file type): a file takes its bytes at ``bytes_per_second`` plus ``1 / files_per_second``,
    ``workers`` files at a time."""
    source: Optional[str] = None
    bytes_per_second: Optional[int] = None
    files_per_second: Optional[float] = None
    workers: Optional[int] = None
    usd_per_file: Optional[float] = None
    usd_per_worker_second: Optional[float] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ExecutionDryRun(_Base):
    """What starting an execution would do; nothing was started (``executions.dry_run``): ``file_count`` and
    ``bytes`` of the files it would run (exact unless ``listing_truncated``), the first 1,000 in ``files``."""
    dry_run: bool = True
    spec: Optional[ExecutionSpec] = None
    file_count: int = 0
    bytes: int = 0
    files: List[ExecutionDryRunFile] = field(default_factory=list)
    hidden_files: int = 0
    listing_truncated: bool = False
    estimated_seconds: int = 0
    estimated_cost_usd: float = 0.0
    basis: Optional[ExecutionEstimateBasis] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ExecutionRole(_Base):
    """What a role named by an execution's ``iam_role_arn`` must trust (``executions.get_role()``): this project's
    ``external_id`` (the condition ``sts:ExternalId``; the same on every call, never chosen by a caller) and the
    ``principals`` (ARNs of the Sluice roles that call AssumeRole; empty with ``sluice local``)."""
    object: Optional[str] = None
    project_id: Optional[str] = None
    external_id: Optional[str] = None
    principals: List[str] = field(default_factory=list)
    extra: Dict[str, Any] = _extra()


@dataclass
class ExecutionStatus(_Base):
    overview: Optional[Union[ExecutionState, str]] = None
    outcome: Optional[Union[Outcome, str]] = None
    reason: Optional[str] = None
    total_files: Optional[int] = None
    finished_files: Optional[int] = None
    failed_files: Optional[int] = None
    skipped_files: Optional[int] = None
    rows: Optional[int] = None
    failed_rows: Optional[int] = None
    start_time: Optional[int] = None
    end_time: Optional[int] = None
    usage: Optional[Usage] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class Execution(_Base):
    """A storage-based execution (``execution_…``): one task per file of a source folder."""
    id: str = ""
    object: Optional[str] = None
    project_id: Optional[str] = None
    spec: Optional[ExecutionSpec] = None
    status: Optional[ExecutionStatus] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    metadata: Optional[Dict[str, str]] = None
    extra: Dict[str, Any] = _extra()

    @property
    def done(self) -> bool:
        s = self.status.overview if self.status else None
        return isinstance(s, ExecutionState) and s.terminal or (isinstance(s, str) and s not in ("Pending", "Running"))


@dataclass
class ExecutionFileReport(_Base):
    index: Optional[int] = None
    file: Optional[str] = None
    output: Optional[str] = None
    status: Optional[Union[FileState, str]] = None
    rows: Optional[int] = None
    failed_rows: Optional[int] = None
    start_time: Optional[int] = None
    time_ms: Optional[float] = None
    reason: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class ExecutionReport(_Base):
    execution: Optional[Execution] = None
    files: List[ExecutionFileReport] = field(default_factory=list)
    next_page: Optional[str] = None
    extra: Dict[str, Any] = _extra()


@dataclass
class DeleteResponse(_Base):
    id: str = ""
    deleted: bool = False
    extra: Dict[str, Any] = _extra()


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a listing: ``data`` (newest first), ``next_page`` / ``prev_page`` cursors (``None`` at an end)."""
    data: List[T]
    next_page: Optional[str] = None
    prev_page: Optional[str] = None

    _fetch: Optional[Any] = field(default=None, repr=False, compare=False)

    def __getitem__(self, key):  # page["next_page"] as in the reference SDK, page[0] as data[0]
        if isinstance(key, str):
            return getattr(self, key)
        return self.data[key]

    def __iter__(self):
        """Every item of this page and of each following page, fetched as the iteration reaches it."""
        page: Optional[Page] = self
        while page is not None:
            yield from page.data
            page = page._fetch(page.next_page) if page.next_page and page._fetch else None
