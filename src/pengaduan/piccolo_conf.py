"""Piccolo's configuration: our engine (pointed at a database at start-up) and our one app."""

from piccolo.conf.apps import AppRegistry

from pengaduan.db import ENGINE as DB

APP_REGISTRY = AppRegistry(apps=["pengaduan.piccolo_app"])

__all__ = ["APP_REGISTRY", "DB"]
