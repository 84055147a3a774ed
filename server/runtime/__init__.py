"""Threads and fan-out: the worker, its schedule, frame streaming, the manager."""
