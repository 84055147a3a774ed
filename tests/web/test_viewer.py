"""web/viewer.py: a websocket viewer's outgoing queue stays bounded."""

from __future__ import annotations


def test_a_client_that_never_reads_cannot_grow_the_error_queue() -> None:
    from server.web.viewer import MAX_QUEUED, Viewer

    viewer = Viewer(None)  # type: ignore[arg-type]
    for _ in range(10 * MAX_QUEUED):
        viewer._put_message({"type": "error", "field": "", "message": "bad"})
    viewer._put_message({"type": "state", "session": {}})
    assert len(viewer._messages) == MAX_QUEUED + 1  # errors capped; the newest state still goes
