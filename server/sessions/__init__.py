"""A live session: its state machine, config rules, edits and read-only views."""
