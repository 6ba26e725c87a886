"""gunicorn's settings for eCitizen: ``gunicorn -c config/gunicorn.conf.py config.wsgi``
(workers, address and the rest still come from the command line)."""

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded Django, its URLs and views: move all that (~165,000
    objects, alive as long as the worker) out of the cyclic garbage collector's reach. A full
    collection walked every one of them, ~80 ms on a small machine, a pause for each request
    waiting on that worker. What requests create is collected as before."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view, as the first request would
    gc.collect()
    gc.freeze()
