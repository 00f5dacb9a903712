"""Background jobs: work that runs after the commit that asked for it, outside the request.

With TRACKER_REDIS_URL set, a job goes to an RQ queue on Redis and a worker runs it
(`flask --app tracker worker`, tracker/jobs/worker.py), on this machine or another one.
Without it (the development default) the job runs in this process right after the
request or command that committed it, so `make run` needs no other service.

Either way a job is enqueued only once the transaction that asked for it has committed
(a rolled-back pledge sends no mail; a job asked for inside a savepoint that is rolled
back is dropped with it), and the database, not the queue, is the record of what is left
to do: a job that Redis lost is found again by a periodic sweep.

Periodic work is a table, SCHEDULE in tracker/jobs/schedule.py, that `flask --app tracker
scheduler` (RQ's CronScheduler) enqueues; each task runs once per scheduled time however
many schedulers run. Without Redis, a web process runs the outbox sweep itself after a
request at most once a minute (tracker/jobs/queue.py).
"""

from tracker.jobs.queue import enqueue, run_ready_jobs

__all__ = ["enqueue", "run_ready_jobs"]
