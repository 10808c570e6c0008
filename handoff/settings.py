"""Every setting in one place, read from `HANDOFF_*` environment variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANDOFF_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./handoff.db"
    host: str = "127.0.0.1"
    port: int = 8080
    admin_email: str | None = None
    admin_password: str | None = None
    trusted_proxies: str = ""
    sqlite_synchronous: str = "FULL"
    max_text_chars: int = 4000
    max_body_bytes: int = 64 * 1024
