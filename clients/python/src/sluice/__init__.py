"""The Python SDK of Sluice, serverless batch inference (REST API v1).

    import sluice
    project = sluice.Client("sk_…", api_url="http://127.0.0.1:8080").get_project("proj_…")
    job = project.batch.jobs.create("run-1", {"dataset_id": …, "model_id": …, "webhook_id": …})
    job = project.batch.jobs.wait_until_done(job.id, progress=True)

Errors are :class:`sluice.ApiError` subclasses with ``code``, ``message`` and ``request_id``; webhook receivers check
each POST with :func:`sluice.verify_signature`.
"""
from .client import Client, Project
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all
from .models import *  # noqa: F401,F403
from .models import __all__ as _models_all
from .webhooks import verify_signature

__version__ = "0.1.0"
# sluice.ConnectionError and sluice.TimeoutError stay out of a star import: they would shadow the builtins
__all__ = (["Client", "Project", "verify_signature", "__version__"]
           + [n for n in _errors_all if n not in ("ConnectionError", "TimeoutError")] + list(_models_all))
