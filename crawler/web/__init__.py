"""`newsarchive serve`: a read-only web app and JSON API over the archive."""
