"""HTTP service (optional extra ``service``: FastAPI + uvicorn) over :class:`kpigov.Governance`.

    app = create_app(Governance.load(repo, store=store))
    with running(app) as url: ...          # a background server on a free loopback port

:mod:`~kpigov.service.app` maps queries to routes, :mod:`~kpigov.service.limits` bounds requests
and stamps the manifest fingerprint, :mod:`~kpigov.service.server` runs uvicorn.
"""

from kpigov.service.app import create_app
from kpigov.service.limits import FINGERPRINT_HEADER, Limits
from kpigov.service.server import running, server

__all__ = ["FINGERPRINT_HEADER", "Limits", "create_app", "running", "server"]
