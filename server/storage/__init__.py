"""What outlives the process: checkpoints of live sessions, saved experiments, share links."""
