"""gunicorn settings for Tracker in production.

`gunicorn -c deploy/gunicorn.conf.py 'tracker:create_app()'`, as
deploy/systemd/tracker-web.service runs it; the README's "Running in production" explains
the choices. Tracker's own settings come from TRACKER_* variables (the EnvironmentFile), not here.
"""

import multiprocessing
import os

# Behind the TLS proxy on the same machine: never reachable from outside directly.
# GUNICORN_BIND moves it (another port, or unix:/run/tracker/gunicorn.sock).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: each request holds one, so this is how many pages are served at once.
# 2 × cores + 1 by default, at most 8: each worker keeps its own pool of up to 15
# PostgreSQL connections (SQLAlchemy's 5 + 10), and PostgreSQL allows 100 by default.
# WEB_CONCURRENCY (gunicorn's own variable) sets the number.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "sync"

# A worker silent this long is killed and replaced. Above PROPOSAL_RENDER_SECONDS (30),
# so that a slow PDF render stops with its own clear error first.
timeout = 60
# On reload (HUP) and stop (TERM) a worker may finish its request for this long; the
# unit's TimeoutStopSec (40) is longer, so systemd does not SIGKILL a finishing worker.
graceful_timeout = 30
# Replace each worker after about 10,000 requests, the jitter keeping them from all
# restarting at once: memory held by a leak or a huge import is given back regularly.
# Not much more often: a new worker imports the app and warms up again (about 3 s of CPU,
# measured with bench/), and serves nothing meanwhile. After 1,000 requests, a busy
# 2-core server spent about a tenth of its CPU on restarts and its slowest answers waited
# for them.
max_requests = 10000
max_requests_jitter = 1000
# The proxy keeps connections open; a short keep-alive frees a sync worker soon after.
keepalive = 5

# No preload: each worker imports the app itself. Then `systemctl reload` (HUP) starts
# workers on the new release's code (with preload the master would keep the old code and
# a reload would need a restart), and no database connection made at import is shared
# by forked workers. The cost is small because the heavy libraries (WeasyPrint, openpyxl)
# are imported when first used, not at start. A setting missing in production makes each
# worker fail to boot with the ConfigurationError naming it (journalctl -u tracker-web).
preload_app = False

# X-Forwarded-Proto (https) is trusted from the proxy on this machine only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stdout and stderr: the journal keeps them (journalctl -u tracker-web).
accesslog = "-"
errorlog = "-"
loglevel = "info"
proc_name = "tracker-web"

# systemd supervises and reloads the service; gunicorn's control socket (gunicornc) would
# be one more way in, in a home directory the unit hides (ProtectHome).
control_socket_disable = True
