"""The one Piccolo app: every table of every domain, migrations in the top-level folder."""

from piccolo.conf.apps import AppConfig

from pengaduan.accounts.tables import LoginThrottle, PasswordResetCode, Session, User
from pengaduan.agency.tables import Category, ResponseTemplate, Unit
from pengaduan.audit.tables import AuditLog
from pengaduan.complaints.tables import (
    Complaint,
    EvidenceFile,
    Message,
    Rating,
    StatusHistory,
)
from pengaduan.handling.tables import QueueVersion
from pengaduan.map.tables import ComplaintCell
from pengaduan.notifications.tables import Notification, NotificationPreference, Outbox
from pengaduan.settings import project_root
from pengaduan.statistics.tables import ComplaintDaily

TABLES = [
    Unit,
    Category,
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
    ComplaintCell,
]

APP_CONFIG = AppConfig(
    app_name="pengaduan",
    migrations_folder_path=str(project_root() / "migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
