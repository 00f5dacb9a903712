"""Outgoing e-mail: every message is written to an outbox in the transaction of its cause.

`queue_message` renders a message from templates/mail/ in the recipient's language and
adds it to the outbox (tracker/mail/models.py) in the caller's transaction; once that
commits a job delivers it (tracker/mail/delivery.py): over SMTP when TRACKER_MAIL_SERVER
is set, otherwise as an .eml file under instance/mail/ (the development default).
"""
