"""Everything on the wire: config models, REST bodies, websocket messages, frames."""
