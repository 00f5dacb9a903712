"""The audit trail: every create, update and delete of an audited model, who did it and when.

How it works (details in `hooks.py`):

- A model is audited by decorating its class with `@audited(...)` from `registry.py`
  (the money area's two models, below the trail, are listed in `register_models`).
- ORM events record each insert, update and delete of those models inside the flush
  that writes them, so an event commits or rolls back together with its change.
- The actor is `acting_as(...)` when a command sets it, else `flask.g.audit_actor_id`
  (set per authenticated request), else "anonymous" in a request, "command line" in
  a CLI command and "system" otherwise.

The trail is append-only: no screen or command edits or deletes an `AuditEvent`, the
session refuses to flush a changed or deleted one (`AuditTrailIsAppendOnly`), and the
database refuses UPDATE and DELETE (triggers, `models.py`). Every event carries the hash
of the one before it (`chain.py`); `flask --app tracker audit-verify` (`cli.py`) walks
the chain and names the first broken link.
"""
