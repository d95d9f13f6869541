"""Pengaduan: Sistem Pengaduan Masyarakat, a citizen complaint system."""

import os

# Piccolo's own tables (the migration ledger) look for the engine through this module.
os.environ.setdefault("PICCOLO_CONF", "pengaduan.piccolo_conf")

__version__ = "0.1.0"
