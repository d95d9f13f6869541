"""The one Piccolo app: every table of every domain, migrations in the top-level folder."""

from piccolo.conf.apps import AppConfig

from pengaduan.accounts.tables import LoginThrottle, PasswordResetCode, Session, User
from pengaduan.agency.tables import Category, OutsideAgency, ResponseTemplate, Unit
from pengaduan.apikeys.tables import ApiKey, ApiKeyWindow
from pengaduan.audit.tables import AuditLog
from pengaduan.categorising.tables import CategoryCount, CategoryTerm
from pengaduan.complaints.tables import (
    Complaint,
    ComplaintTally,
    EvidenceFile,
    Message,
    Rating,
    StatusHistory,
)
from pengaduan.handling.tables import QueueVersion
from pengaduan.handover.tables import HandoverUpdate
from pengaduan.map.tables import ComplaintCell
from pengaduan.notifications.tables import Notification, NotificationPreference, Outbox
from pengaduan.settings import project_root
from pengaduan.sms_intake.tables import InboundMessage
from pengaduan.statistics.tables import ComplaintDaily

TABLES = [
    Unit,
    Category,
    OutsideAgency,
    User,
    Session,
    LoginThrottle,
    Complaint,
    EvidenceFile,
    StatusHistory,
    Message,
    Rating,
    ResponseTemplate,
    Notification,
    Outbox,
    NotificationPreference,
    AuditLog,
    QueueVersion,
    PasswordResetCode,
    ComplaintDaily,
    InboundMessage,
    HandoverUpdate,
    ApiKey,
    ApiKeyWindow,
    CategoryTerm,
    CategoryCount,
    ComplaintCell,
    ComplaintTally,
]

APP_CONFIG = AppConfig(
    app_name="pengaduan",
    migrations_folder_path=str(project_root() / "migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
