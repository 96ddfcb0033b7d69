"""Who may use the server: the optional login, the API key, and admins."""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request


def _credentials(path: str | None, env: str, who: str) -> list[tuple[str, str]]:
    """user:password lines (commas also separate) from a file, else from the variable `env`."""
    raw = Path(path).read_text(encoding="utf-8") if path else os.environ.get(env, "")
    pairs = []
    for line in raw.replace(",", "\n").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user or not password:
            raise ValueError(f"each {who} must be written user:password")
        pairs.append((user, password))
    return pairs


def load_auth(path: str | None) -> list[tuple[str, str]] | None:
    """user:password pairs from a file (one a line) or CIMIC_AUTH; never from the command line."""
    return _credentials(path, "CIMIC_AUTH", "credential") or None


def load_admins(path: str | None) -> dict[str, str]:
    """Admins from --admin-file (user:password lines) or CIMIC_ADMIN; none: admin features do not exist."""
    return dict(_credentials(path, "CIMIC_ADMIN", "admin"))


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _matches(pairs: dict[str, str], given: tuple[str, str] | None) -> bool:
    if given is None:
        return False
    # Compare in constant time, and always against something, so timing tells nothing.
    expected = pairs.get(given[0], "")
    return hmac.compare_digest(expected.encode(), given[1].encode()) and bool(expected)


@dataclass(frozen=True)
class Access:
    """Who may use the HTTP doors.

    - `api_key` (CIMIC_API_KEY): when set, /api and /v1 need `Authorization: Bearer <key>`;
    - `login` (--auth-file / CIMIC_AUTH): when set, the UI asks for it and /api and /v1 accept it as
      HTTP Basic (or the API key, when one is set);
    - `admins` (--admin-file / CIMIC_ADMIN): HTTP Basic for the document routes; an admin may also
      use every other route.
    """

    login: dict[str, str] = field(default_factory=dict)
    admins: dict[str, str] = field(default_factory=dict)
    api_key: str | None = None

    def client(self, request: Request) -> None:
        """FastAPI dependency of /api and /v1: the API key, a login, or an admin, as configured."""
        from .errors import ApiError

        if not self.api_key and not self.login:
            return
        basic = _basic(request)
        if _matches(self.admins, basic):
            return
        if self.api_key:
            token = _bearer(request) or ""
            if hmac.compare_digest(token.encode(), self.api_key.encode()):
                return
            if not self.login or not _matches(self.login, basic):
                raise ApiError(
                    401,
                    "send the API key as `Authorization: Bearer <key>` (CIMIC_API_KEY)",
                    {"WWW-Authenticate": "Bearer"},
                )
            return
        if not _matches(self.login, basic):
            raise ApiError(
                401,
                "log in: send your user name and password as HTTP Basic credentials",
                {"WWW-Authenticate": 'Basic realm="cimic"'},
            )

    def admin(self, request: Request) -> str:
        """FastAPI dependency of the document routes: HTTP Basic admin credentials; the admin's name."""
        from .errors import ApiError

        basic = _basic(request)
        if not _matches(self.admins, basic):
            raise ApiError(
                401,
                "this needs an admin: send admin credentials as HTTP Basic",
                {"WWW-Authenticate": 'Basic realm="cimic admin"'},
            )
        return basic[0]
