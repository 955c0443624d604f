"""The chat service layer: every change to rooms and messages is one function here.

Consumers, HTTP views, the admin and management commands call these and nothing else writes.
Each action validates first (raising ``core.errors.ActionError`` with nothing written), makes
its change in one transaction, and publishes through ``chat.broadcast`` after commit.
"""
