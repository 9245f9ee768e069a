"""gunicorn settings for production serving: `make serve`, or
`.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app`.

Anything here can be overridden on the command line or in GUNICORN_CMD_ARGS, e.g.
`gunicorn -c gunicorn.conf.py --bind 0.0.0.0:8000 --workers 4 wsgi:app`. resdir's own
settings stay RESDIR_* environment variables (resdir/config.py); this file is only about
processes and sockets.
"""

import os

# Loopback by default: a load balancer or reverse proxy on the same machine forwards to it
# (set RESDIR_PROXY_COUNT to trust its X-Forwarded-* headers). Bind 0.0.0.0 only behind one.
bind = "127.0.0.1:8000"

# One worker per core. Searching is CPU-bound Python: measured on 2 cores, 4 workers served
# no more than 2 (issue 12), and each worker holds its own index caches.
workers = os.cpu_count() or 2

# Two threads per worker (the gthread worker): one request can wait on PostgreSQL, SMTP or
# a slow client while the other runs. More would only queue behind the GIL.
worker_class = "gthread"
threads = 2

# A worker that stops answering its master's heartbeat for this long is killed and
# replaced. No request should come near it: imports and reindex run from the CLI.
timeout = 30

# On a restart (deploy, max_requests) a worker gets this long to finish its requests.
graceful_timeout = 30

# Idle keep-alive connections are held open longer than the usual load-balancer idle
# timeout (60 s), so the balancer never reuses a connection gunicorn has just closed (502).
keepalive = 75

# Import the app once in the master, then fork: code and read-only data (gazetteer,
# templates) are shared copy-on-write and a broken app fails at start, not in every worker.
# Nothing may open a database connection or start a thread before the fork: see post_fork.
preload_app = True

# Recycle a worker after about 20,000 requests to bound slow memory growth (its caches are
# bounded; this is against leaks); the jitter spreads the restarts so the workers never all
# restart together. Not fewer: a new worker reopens the index and starts with cold caches
# and no kept answers (0.3 s of CPU over its first searches at 10,000 programs, seconds at
# 100,000), and a busy worker serves 300 searches a second: 2,000 restarted it every 7 s
# (issue 12, bench/load.py).
max_requests = 20000
max_requests_jitter = 2000

# The heartbeat file on tmpfs, so a busy or slow disk cannot make the master kill workers.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# No control socket (gunicorn 25.1+): every instance on a machine would share the default
# path ($HOME/.gunicorn/gunicorn.ctl), and one stopping deletes the other's; resdir does not
# use `gunicornc` (several nodes on one machine, and the tests, run several instances).
control_socket_disable = True

# Logs to standard output for the service manager. resdir never puts client data in URLs,
# so the access log holds none.
accesslog = "-"
errorlog = "-"


def pre_fork(server, worker):
    """In the master, before each fork: load the read-only start-up data once (the ZIP
    gazetteer), then freeze every object the app made so far. Frozen objects are never
    examined by the garbage collector, so a worker's collections neither take time over
    them nor write to their pages (which would copy the master's memory into every
    worker). Index files are not opened here: a forked file offset would be shared."""
    import gc

    from resdir import gazetteer

    gazetteer.load()
    gc.freeze()


def post_fork(server, worker):
    """Each worker opens its own database connections (sockets must never be shared
    across a fork)."""
    from resdir.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)


def post_worker_init(worker):
    """Start the worker's index sync thread now (it catches up at once), not at its first
    request."""
    import gc

    from resdir.directory import indexing
    from wsgi import app

    indexing.start_sync(app)
    gc.freeze()  # the worker's own start-up objects, likewise (see pre_fork)
    # gunicorn logs a worker's boot at the fork; this says when it can take requests
    # (operators reading a slow start, and tests that wait for every worker).
    worker.log.info("Worker ready (pid: %s)", worker.pid)
