"""Alert delivery beyond the store's outbox table: a JSON lines file, and an optional webhook.

Both happen after the run is committed: a delivery problem never loses or fails a run, it is
reported (the alerts stay ``pending`` in the outbox table for a later sender).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from kpigov.evaluate.alerts import RoutedAlert


def append_jsonl(path: Path, run_id: str, alerts: Sequence[RoutedAlert]) -> None:
    """Append one JSON object per alert (with its run id) to ``path``, creating folders as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for alert in alerts:
            handle.write(json.dumps({"run_id": run_id, **alert.to_json()}, sort_keys=True, default=str) + "\n")


def post_webhook(url: str, run_id: str, alerts: Sequence[RoutedAlert], timeout: float = 5.0) -> str | None:
    """POST the run's alerts as one JSON document; returns None on success, else why it failed."""
    if not url.startswith(("http://", "https://")):
        return f"webhook URL must be http(s), got {url!r}"
    body = json.dumps({"run_id": run_id, "alerts": [a.to_json() for a in alerts]}, default=str).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  (scheme checked above)
            if not 200 <= response.status < 300:
                return f"webhook answered HTTP {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        return f"webhook delivery failed: {exc}"
    return None
