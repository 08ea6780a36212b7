"""The usage family (F20): unused lists and mailboxes, from message trace and the mailbox usage report, and the
daily "last mail seen" collection (collect.py)."""
