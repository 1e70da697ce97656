"""newsarchive: crawl news about AI infrastructure into a SQL archive."""

__version__ = "0.1.0"
