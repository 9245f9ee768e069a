"""Scheduled work (reminders, verification requests, housekeeping) run by `resdir worker`,
one node at a time through a lease in the database."""
