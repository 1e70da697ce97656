"""`newsarchive outlets`: the outlet registry; `outlets add` and `outlets check` probe outlets live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional
from urllib.parse import urlsplit

import typer
from rich.table import Table

from crawler.cli.common import (
    OutletsFileOption,
    SetOption,
    app,
    configure_logging,
    fail,
    load_registry,
    notice,
    out_console,
    overrides_of,
    settings_of,
    state,
)

outlets_app = typer.Typer(help="The outlet registry; add an outlet, check outlets live.")
app.add_typer(outlets_app, name="outlets")


@outlets_app.callback(invoke_without_command=True)
def outlets_command(ctx: typer.Context, outlets_file: OutletsFileOption = None) -> None:
    """The outlet registry as a table (or a subcommand: add, check)."""
    if ctx.invoked_subcommand is not None:
        return
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
            "\n".join(outlet.feeds) or ("(autodiscovered)" if outlet.autodiscovered else ""),
            "\n".join(outlet.sitemaps),
            "\n".join(outlet.listing_pages),
        )
    out_console.print(table)


@outlets_app.command("add")
def outlets_add(
    url: Annotated[str, typer.Argument(metavar="URL", help="The outlet's homepage.")],
    slug: Annotated[
        Optional[str], typer.Option(metavar="SLUG", help="Its key (default: from the host).")
    ] = None,
    language: Annotated[
        Optional[str], typer.Option(metavar="CODE", help="ISO 639-1 (default: <html lang>).")
    ] = None,
    outlets_file: OutletsFileOption = None,
    write: Annotated[
        bool, typer.Option("--write", help="Append the entry to the registry, validated.")
    ] = False,
    set_: SetOption = None,
) -> None:
    """Probe a site (robots.txt obeyed): its feeds, sitemaps, WordPress API and article URL shape;
    print a registry entry for it."""
    from crawler import outlets as registry
    from crawler.operations.probe import append_entry, probe, registry_entry, slug_for

    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        fail(f"{url!r} is not an http(s) URL", code=2)
    homepage = url if urlsplit(url).path else url + "/"
    slug = slug or slug_for(homepage)
    config = load_registry(outlets_file)
    if slug in config:
        fail(f"the registry already has an outlet {slug!r} (give another --slug)", code=2)
    target = outlets_file or registry.default_registry()
    configured = settings_of(set_)
    log = configure_logging("outlets-add", state["db"], False, None, configured)
    outlet = registry.Outlet(
        slug=slug,
        name=slug,
        homepage=homepage,
        language=language,
        allowed_domains=(registry.ascii_host(urlsplit(homepage).hostname or ""),),
    )
    report = probe({slug: outlet}, overrides_of(set_))[slug]
    if report.homepage_error and not report.links:
        fail(f"cannot read {homepage}: {report.homepage_error} (log: {log})")
    if not any(source.entries for source in report.sources):
        fail(f"{homepage} announces no feed and no sitemap was found: not a news site? (log: {log})")
    if report.pattern is None:
        fail(f"{homepage}: its {len(report.links)} links share no article URL shape (log: {log})")
    entry = registry_entry(slug, homepage, report, language)
    out_console.print(entry, markup=False, highlight=False, end="")
    notice(
        f"{slug}: {len(report.links)} links, the pattern accepts {report.share:.0%}; "
        + ", ".join(f"{a.title or a.url} ({a.words} words)" for a in report.articles[:3])
    )
    if write:
        if not isinstance(target, Path):
            fail("--write needs --outlets FILE: the shipped registry is inside the installed package", code=2)
        try:
            append_entry(target, entry)
        except registry.RegistryError as exc:
            fail(f"not written: {exc}")
        notice(f"written to {target}")


@outlets_app.command("check")
def outlets_check(
    slugs: Annotated[
        Optional[list[str]], typer.Argument(metavar="[SLUG]...", help="Outlets (default: all).")
    ] = None,
    outlets_file: OutletsFileOption = None,
    stale_days: Annotated[
        float, typer.Option(metavar="DAYS", help="An outlet whose newest entry is older is stale.")
    ] = 7,
    set_: SetOption = None,
) -> None:
    """Probe each outlet live: its sources, what its pattern accepts, 3 recent articles, a verdict.
    Exits 1 unless every outlet is ok."""
    from crawler.operations.probe import probe, verdict

    config = load_registry(outlets_file)
    unknown = [slug for slug in slugs or [] if slug not in config]
    if unknown:
        fail(f"unknown outlet {unknown[0]!r}; known: {', '.join(sorted(config))}", code=2)
    chosen = {slug: config[slug] for slug in (slugs or config)}
    configured = settings_of(set_)
    log = configure_logging("outlets-check", state["db"], False, None, configured)
    reports = probe(chosen, overrides_of(set_))
    failing = 0
    for slug, report in reports.items():
        table = Table(title=f"{slug}: sources", title_justify="left")
        for header in ("source", "status", "entries", "newest"):
            table.add_column(header)
        for source in report.sources:
            table.add_row(
                source.url,
                (source.error or str(source.status or "-"))
                + (f" (moved to {source.moved_to})" if source.moved_to else ""),
                "-" if source.entries is None else str(source.entries),
                f"{source.newest:%Y-%m-%d %H:%M}" if source.newest else "-",
            )
        out_console.print(table)
        if report.share is not None:
            out_console.print(
                f"pattern accepts {report.share:.0%} of {len(report.links)} links"
                + (f"; rejects e.g. {', '.join(report.rejected[:3])}" if report.rejected else ""),
                markup=False,
                highlight=False,
            )
        for article in report.articles:
            date = f"{article.published_at:%Y-%m-%d}" if article.published_at else "no date"
            out_console.print(
                f"  {article.title or article.url} · {date} · {', '.join(article.authors) or 'no author'} · "
                f"{article.words} words · "
                + ("relevant" if article.relevant else f"{article.outcome}")
                + (f" ({article.score:.2f})" if article.score is not None else ""),
                markup=False,
                highlight=False,
            )
        judged = verdict(report, stale_days)
        failing += judged.word != "ok"
        out_console.print(f"{slug}: {judged.word}" + (f" ({judged.why})" if judged.why else ""), markup=False)
    notice(f"log: {log}")
    if failing:
        raise typer.Exit(1)
