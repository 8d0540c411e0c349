"""gunicorn as compose (and the image) runs the portal: behind nginx (deploy/nginx.conf).

Sync workers are only safe behind a buffering proxy: each worker serves one client at a time, so
a few clients trickling their headers would hold every worker. nginx reads whole requests first
and hands gunicorn only complete ones; gunicorn itself is never published.
"""

bind = "0.0.0.0:8000"
workers = 3
# Longer than any request should take (a 25 MB snapshot is stored in about a second); a worker
# stuck longer is restarted.
timeout = 60
graceful_timeout = 30
# One line per request on stdout, with signed link tokens written as [token] (the links in
# headteachers' and authorisers' emails must not be kept in logs).
accesslog = "-"
logger_class = "hwb_portal.access_log.RedactingLogger"
