"""The outbox: every outgoing email is a row written in the same transaction as its cause.

`app.mail.send` (and the registration email helpers) add rows; workers claim them with a
conditional UPDATE, build what the row describes, send it and record the outcome. The job
queue (huey, see docs/outbox.md) only carries "look at these rows"; the row is the truth.
"""
