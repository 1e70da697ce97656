"""The crawl tests' fixture server, run as a subprocess: `python -m tests.mockserver LOG`.

Serves every fixture site on 127.0.0.1 (port 0), prints the port, logs each request as JSON;
gates (crawler/devsite/siteserver.py) live in a `gates` folder beside the log.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crawler.devsite.siteserver import SiteServer
from tests.sites import all_sites


def main() -> None:
    log = Path(sys.argv[1])
    (log.parent / "gates").mkdir(exist_ok=True)
    server = SiteServer(all_sites(), log_path=log, gate_dir=log.parent / "gates")
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
