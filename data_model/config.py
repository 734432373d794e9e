"""Where Pathwise finds its settings: the command line, the environment, then secrets.toml.

Read without Streamlit so that the app, the command line and the tests resolve them the same way.
"""

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///data/pathwise.db"
DATABASE_URL_VARIABLE = "PATHWISE_DB_URL"
SECRETS_FILES = (Path.home() / ".streamlit" / "secrets.toml", Path(".streamlit") / "secrets.toml")
"""Streamlit's own order: the user's global file first, the project's file overriding it."""


class ConfigurationError(Exception):
    """Settings that cannot be used; the message is one sentence for the person who set them."""


def load_secrets(paths: Sequence[Path] = SECRETS_FILES) -> dict[str, Any]:
    """Merge the secrets files that exist, later files winning at the top level."""
    merged: dict[str, Any] = {}
    for path in paths:
        if not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                merged.update(tomllib.load(handle))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigurationError(f"{path} is not valid TOML ({error}).") from error
    return merged


def resolve_database_url(
    cli_url: str | None = None,
    environ: Mapping[str, str] = os.environ,
    secrets: Mapping[str, Any] | None = None,
) -> str:
    """`--db`, else `PATHWISE_DB_URL`, else `[connections.pathwise] url`, else local SQLite."""
    if cli_url:
        return cli_url
    if environ.get(DATABASE_URL_VARIABLE):
        return environ[DATABASE_URL_VARIABLE]
    if secrets is None:
        secrets = load_secrets()
    url = secrets.get("connections", {}).get("pathwise", {}).get("url")
    if url:
        return str(url)
    return DEFAULT_DATABASE_URL


def login_configured(secrets: Mapping[str, Any] | None = None) -> bool:
    """Single sign-on is on once `[auth]` exists; until then Pathwise runs in demo mode."""
    if secrets is None:
        secrets = load_secrets()
    return bool(secrets.get("auth"))


def ld_admin_claim(secrets: Mapping[str, Any] | None = None) -> tuple[str | None, str | None]:
    """`[pathwise] ld_admin_claim` and `ld_admin_claim_value`: a sign-in whose claim holds the
    value is an L&D admin, besides the emails in the role_grants table. (None, None) when unset.
    """
    if secrets is None:
        secrets = load_secrets()
    settings = secrets.get("pathwise", {})
    claim, value = settings.get("ld_admin_claim"), settings.get("ld_admin_claim_value")
    if (claim is None) != (value is None):
        raise ConfigurationError(
            "[pathwise] needs both ld_admin_claim and ld_admin_claim_value, or neither."
        )
    return (None, None) if claim is None else (str(claim), str(value))
