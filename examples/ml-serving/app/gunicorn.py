# gunicorn settings for the API (read with `gunicorn -c app/gunicorn.py`).
import os

bind = "0.0.0.0:" + os.environ.get("PORT", "8000")
workers = int(os.environ.get("WORKERS", "2"))
# Load the model once, before forking the workers.
preload_app = True
timeout = 30
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# Worker heartbeat files in shared memory, not on the container's overlay root.
worker_tmp_dir = "/dev/shm"
