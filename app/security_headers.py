"""Security headers on every HTTP response of the app's own server (not only behind the README's proxy).

``secteurs app`` runs ``streamlit run`` in-process (:mod:`app.serve`). Streamlit
1.67 serves with Starlette under uvicorn and builds its middleware stack in
``streamlit.web.server.starlette.starlette_app.create_streamlit_middleware``,
called when the server starts. :func:`install` wraps that function so that
:class:`SecurityHeaders` comes first (outermost): the page, static files,
component files (Leaflet and the map's code), health checks and Streamlit's
own refusals all carry the headers.

``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``: no page of the app
may be framed, not even by the app itself (the map is drawn in the page, not
in an iframe; see :mod:`app.map`).
"""
from __future__ import annotations

#: Name -> value of every header added (a response that already sets one keeps its own).
HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_ENCODED = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()]


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every HTTP response start (WebSockets pass through)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _ENCODED if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install() -> None:
    """Put :class:`SecurityHeaders` first in the middleware of the Streamlit server started after this call.

    Raises
    ------
    RuntimeError
        Streamlit no longer builds its server this way (an upgrade): better to
        fail at start than to serve without the headers.
    """
    try:
        from starlette.middleware import Middleware
        from streamlit.web.server.starlette import starlette_app
    except ImportError as exc:  # pragma: no cover - guarded by the served-app test
        raise RuntimeError("secteurs: Streamlit's Starlette server was not found: security headers "
                           "cannot be set") from exc
    original = getattr(starlette_app, "create_streamlit_middleware", None)
    if original is None:  # pragma: no cover - guarded by the served-app test
        raise RuntimeError("secteurs: streamlit.web.server.starlette.starlette_app.create_streamlit_middleware "
                           "is gone: security headers cannot be set")
    if getattr(original, "secteurs_headers", False):
        return

    def create_streamlit_middleware():
        return [Middleware(SecurityHeaders), *original()]

    create_streamlit_middleware.secteurs_headers = True
    starlette_app.create_streamlit_middleware = create_streamlit_middleware
