"""A client of the hand controller's HTTP API, for the CLI and the Dagster `deployed_policy` asset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from vitra_core.errors import VitraError

_TIMEOUT_S = 60.0


class ControllerError(VitraError):
    """The controller refused a request (or could not be reached); `check` names the failed check."""

    def __init__(self, url: str, status: int | None, error: str, check: str | None = None):
        self.url, self.status, self.error, self.check = url, status, error, check
        where = f"HTTP {status}" if status is not None else "unreachable"
        super().__init__(f"{url}: {where}: {error}" + (f" (check: {check})" if check else ""))


class DeployClient:
    def __init__(self, url: str, token: str | None = None, timeout_s: float = _TIMEOUT_S):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def health(self) -> dict[str, Any]:
        """The controller's health report (also when it says "degraded")."""
        return self._request("GET", "/health", accept=(200, 503)).json()

    def policy(self) -> dict[str, Any]:
        """{"bundle_id", "key_id", "manifest", "history"} of the active bundle."""
        return self._request("GET", "/policy").json()

    def state(self) -> dict[str, Any]:
        """{"command", "observation"}: the last command sent to the hand and the last observation (no images)."""
        return self._request("GET", "/state").json()

    def metrics(self) -> str:
        """The Prometheus text exposition."""
        return self._request("GET", "/metrics").text

    def deploy(self, bundle_path: Path, force: bool = False) -> dict[str, Any]:
        """Upload a bundle; returns /policy after the swap, raises ControllerError with the failed check.
        `force` deploys a bundle built before the active one (refused otherwise, check "version")."""
        data = Path(bundle_path).read_bytes()
        return self._request("POST", "/deploy", data=data, headers={"Content-Type": "application/x-tar"},
                             params={"force": "true"} if force else None).json()

    def rollback(self) -> dict[str, Any]:
        return self._request("POST", "/rollback").json()

    def _request(self, method: str, path: str, accept: tuple[int, ...] = (200,), headers: dict[str, str] | None = None,
                 data: bytes | None = None, params: dict[str, str] | None = None) -> requests.Response:
        url = self.url + path
        headers = dict(headers or {})
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = requests.request(method, url, data=data, headers=headers, params=params, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise ControllerError(url, None, str(exc)) from exc
        if response.status_code not in accept:
            try:
                body = response.json()
                error, check = body.get("error", response.text), body.get("check")
            except ValueError:
                error, check = response.text, None
            raise ControllerError(url, response.status_code, error, check)
        return response
