"""Where a user's library lives, and its config.toml.

The home holds `library.sqlite3` (unless `database_url` in config.toml or $LAYERWISE_DATABASE_URL points at
PostgreSQL), `notes/`, `exports/` and `config.toml`. Everything in it is readable without layerwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layerwise.errors import LayerwiseError

CONFIG_NAME = "config.toml"
DB_NAME = "library.sqlite3"


def default_home() -> Path:
    env = os.environ.get("LAYERWISE_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("layerwise", appauthor=False)


@dataclass(frozen=True)
class Home:
    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_NAME

    def config(self) -> dict[str, Any]:
        try:
            f = open(self.config_path, "rb")
        except FileNotFoundError:
            return {}
        import tomllib  # here: a home without a config file never loads the parser (~2 ms of every command)

        try:
            with f:
                return tomllib.load(f)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # TOML is UTF-8: an editor may save another
            raise LayerwiseError(f"config is not valid TOML: {exc}", where=str(self.config_path)) from None

    def set_config(self, key: str, value: Any) -> None:
        import tomli_w

        config = self.config()
        config[key] = value
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(config), encoding="utf-8")
        tmp.replace(self.config_path)

    def acting_user(self, user: str | None) -> str | None:
        """Who acts: the name given (--user, $LAYERWISE_USER), else the `user` config.toml names (None: nobody
        named, a library of one)."""
        return str(user or self.config().get("user") or "").strip().lower() or None

    def database_url(self) -> str:
        url = os.environ.get("LAYERWISE_DATABASE_URL") or self.config().get("database_url")
        if url:
            return str(url)
        return f"sqlite:///{self.path / DB_NAME}"


def sqlite_file(url: str) -> Path | None:
    """The file a sqlite:/// URL names (None for any other database)."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def open_home(path: str | Path | None = None) -> Home:
    return Home(Path(path).expanduser() if path else default_home())
