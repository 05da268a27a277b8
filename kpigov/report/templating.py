"""The one Jinja2 environment of the report: package templates, autoescaped HTML, strict undefined."""

from __future__ import annotations

from functools import cache

import jinja2


@cache
def environment() -> jinja2.Environment:
    # StrictUndefined: a misspelt field fails the build instead of printing an empty figure.
    return jinja2.Environment(loader=jinja2.PackageLoader("kpigov.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html.j2"]), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
