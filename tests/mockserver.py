"""The crawl tests' fixture server, run as a subprocess: `python -m tests.mockserver LOG`.

Serves every fixture site on 127.0.0.1 (port 0), prints the port, logs each request as JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crawler.devsite.siteserver import SiteServer
from tests.sites import all_sites


def main() -> None:
    server = SiteServer(all_sites(), log_path=Path(sys.argv[1]))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
