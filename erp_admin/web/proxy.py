"""Client addresses behind reverse proxies: X-Forwarded-For is honoured only for TRUSTED_PROXIES hops."""
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Trust the last TRUSTED_PROXIES X-Forwarded-* hops; with 0, request.remote_addr is the peer itself."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
