"""The core every app builds on: the rulebook (policy), error codes, the clock, row conversion and
the database-thread pool. It imports no app."""
