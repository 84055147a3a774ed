"""REST routes that export a session (a runnable script, a state_dict, model.json) and
import model.json back, to go on training where it stopped."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from server.protocol.rest import ModelFile, ModelImport, SessionState
from server.sessions import views
from server.web.deps import Manager, attachment
from server.web.openapi import CONFLICT, DeclaredRoute

router = APIRouter(prefix="/api/sessions", tags=["data and export"], route_class=DeclaredRoute)


@router.get("/{session_id}/export/model.py", response_class=Response)
async def export_script(session_id: str, manager: Manager) -> Response:
    """A runnable PyTorch script with the network and its weights inline:
    ``python model.py X Y`` prints the output at (X, Y)."""
    text = await manager.read(session_id, views.script)
    return attachment(text, "text/x-python", "model.py")


@router.get("/{session_id}/export/state_dict.pt", response_class=Response)
async def export_state_dict(session_id: str, manager: Manager) -> Response:
    """The weights as a torch state_dict (float64; keys layers.N.weight / layers.N.bias, as
    the script's module): ``torch.load(path, weights_only=True)``."""
    data = await manager.read(session_id, views.state_dict)
    return attachment(data, "application/octet-stream", "state_dict.pt")


@router.get("/{session_id}/export/model.json", response_model=ModelFile, responses=CONFLICT)
async def export_model(session_id: str, manager: Manager) -> Response:
    """Config, weights, dead links, epoch and training state (carried gradients, the
    optimizer's state) as JSON: POST it to …/import to go on training (in this or another
    session)."""
    body = await manager.read(session_id, views.model)
    return attachment(
        ModelFile.model_validate(body).model_dump_json(), "application/json", "model.json"
    )


@router.post("/{session_id}/import", response_model=SessionState)
async def import_model(session_id: str, body: ModelImport, manager: Manager) -> dict[str, Any]:
    """Rebuild the session from an exported model.json: its config, weights, epoch and (if
    the file has it) training state, so training goes on exactly where it stopped. The
    points come from the config unless both the file and the session hold uploaded points.
    A file that does not fit changes nothing (422 naming the field)."""
    return await manager.load_model(session_id, body)
