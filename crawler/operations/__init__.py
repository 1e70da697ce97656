"""What the commands run: a crawl, the scheduler, re-extraction, export."""
