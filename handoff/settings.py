"""Every setting in one place, read from `HANDOFF_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANDOFF_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./handoff.db"
    host: str = "127.0.0.1"
    port: int = 8080
    admin_email: str | None = None
    admin_password: str | None = None
    trusted_proxies: str = ""
    secure_cookies: bool = False  # behind HTTPS: the session cookie is sent over HTTPS only
    sqlite_synchronous: str = "FULL"
    max_text_chars: int = 4000
    max_body_bytes: int = 64 * 1024
    knowledge_root: str = "knowledge"  # the folders of knowledge written in the console, one per service
    sample_data: bool = True  # an empty database gets two sample services with knowledge
    geoip_database: str | None = (
        None  # a current GeoLite2-City .mmdb; default: the one maxminddb-geolite2 ships
    )
    chat_messages_per_minute: int = 20  # per customer address, on the chat page
    streams_per_conversation: int = 5  # open event streams; a new one closes the oldest
    streams_per_address: int = 50  # open event streams per client address; more are refused (429)
    redis_url: str | None = None  # several processes on one PostgreSQL: events between them, shared limits
    redis_key_prefix: str = "handoff:"  # every key this server writes in Redis starts so (one Redis, many)
    metrics_token: str | None = None  # GET /metrics needs "Authorization: Bearer <it>"; absent when unset
    body_timeout_seconds: float = 30.0  # an API request's whole body must arrive within this (else 408)
    openai_base_url: str | None = None  # an OpenAI-compatible chat-completions endpoint answers when set
    openai_model: str = "gpt-4o-mini"
    openai_api_key: str | None = None
    log_format: Literal["text", "json"] = "text"  # "json": one JSON object per line, for log shippers
    log_level: str = "INFO"
    public_url: str | None = (
        None  # how people reach this server (links in webhooks); default http://host:port
    )
    webhook_attempts: int = 8  # tries of one webhook delivery before it is dead
    webhook_backoff_seconds: float = 10.0  # the first retry's delay; each next one about doubles
    webhook_timeout_seconds: float = 10.0  # one attempt's whole time
    webhook_log_days: int = 30  # delivered and dead deliveries are forgotten after this
    webhook_allow_private_addresses: bool = False  # let webhooks reach loopback/private/link-local addresses
    bot_attempts: int = 4  # tries to reach an external bot before flagging Non-Answer
    bot_backoff_seconds: float = 0.5
