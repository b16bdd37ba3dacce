"""A live HTTP server for an app on 127.0.0.1 and a free port, in a background thread."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


def buffered(app):
    """app with each response body read and its iterable closed before the server writes anything.

    werkzeug's development server leaves a file response (a static asset) open
    when the browser drops the connection halfway, e.g. because it navigated on:
    the garbage collector closes it later with a ResourceWarning, which the suite
    turns into an error in whichever test runs then.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@contextmanager
def live_server(app):
    """Serve app on 127.0.0.1:<free port>; yield its base URL; shut down afterwards."""
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
