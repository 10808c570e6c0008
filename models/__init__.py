"""SQLAlchemy models and database setup. No business rules live here."""

from models.database import Database
from models.tables import (
    Account,
    ApiKey,
    AttentionFlag,
    AuditEntry,
    Base,
    CannedReply,
    Conversation,
    Message,
    Note,
    Service,
    Setting,
    Webhook,
    WebhookDelivery,
)

__all__ = [
    "Account",
    "ApiKey",
    "AttentionFlag",
    "AuditEntry",
    "Base",
    "CannedReply",
    "Conversation",
    "Database",
    "Message",
    "Note",
    "Service",
    "Setting",
    "Webhook",
    "WebhookDelivery",
]
