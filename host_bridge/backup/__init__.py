"""Backups of a site's files and their restore: `suivant backup`, `suivant restore FOLDER`,
and the bridge's scheduled backups ([backup] in the site file)."""
