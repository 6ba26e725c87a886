"""The gunicorn settings production and the benchmarks run with (``config/gunicorn.conf.py``)."""

import gc
import os
import runpy
import subprocess
import sys
from pathlib import Path

from django.conf import settings

CONFIG = Path(settings.BASE_DIR) / "config" / "gunicorn.conf.py"


def test_gunicorn_accepts_the_settings() -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    checked = subprocess.run(
        [str(gunicorn), "--check-config", "-c", str(CONFIG), "config.wsgi"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


def test_a_worker_keeps_what_django_loaded_out_of_the_collectors_reach() -> None:
    hook = runpy.run_path(str(CONFIG))["post_worker_init"]
    gc.unfreeze()
    try:
        hook(None)
        assert gc.get_freeze_count() > 10_000  # modules, models, URLs, views
    finally:
        gc.unfreeze()
