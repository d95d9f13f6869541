"""Backups and restore (issue 16): one archive holding a manifest, a `pg_dump` of the database
and every evidence file the database references, encrypted by default with the backup key.

sealing.py encrypts and decrypts the archive's byte stream; archive.py writes and reads its
entries (tar); manifest.py says what a backup holds and checks an archive against it;
database.py runs pg_dump/pg_restore and looks at the target; making.py and restoring.py are
the two commands; progress.py draws the bar on a terminal."""
