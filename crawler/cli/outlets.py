"""`newsarchive outlets`: the outlet registry."""

from __future__ import annotations

from rich.table import Table

from crawler.cli.common import OutletsFileOption, app, load_registry, out_console


@app.command("outlets")
def outlets_command(outlets_file: OutletsFileOption = None) -> None:
    """The outlet registry as a table."""
    config = load_registry(outlets_file)
    table = Table(title=f"{len(config)} outlets")
    for header in ("slug", "name", "lang", "country", "feeds", "sitemaps", "listings"):
        table.add_column(header, no_wrap=header == "slug")
    for slug, outlet in config.items():
        table.add_row(
            slug,
            outlet.name,
            outlet.language or "",
            outlet.country or "",
            "\n".join(outlet.feeds),
            "\n".join(outlet.sitemaps),
            "\n".join(outlet.listing_pages),
        )
    out_console.print(table)
