"""The edge: REST routers by resource, the websocket endpoint, pages, middleware."""
