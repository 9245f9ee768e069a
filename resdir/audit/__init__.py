"""The append-only audit log of reads of client data and of every write."""
