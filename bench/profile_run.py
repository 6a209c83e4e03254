"""Profile one `newsradar run-once` against the synthetic outlets, for finding where time goes.

    uv run python -m bench.profile_run --outlets 300 --phase idle [--cprofile] [--out DIR]

``--phase full`` profiles the first crawl (every article new); ``idle`` runs that first crawl
unprofiled and profiles the next one, where nothing changed. pyinstrument (wall-clock samples,
call tree) writes ``run-once-<phase>.txt``; ``--cprofile`` adds ``run-once-<phase>.cprofile.txt``,
functions by own CPU time, which shows many small costs that sampling spreads thin.
"""

from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
from pathlib import Path

from bench.crawl_figures import scratch
from bench.extraction_dev import DEFAULT_DATA, load_pages
from bench.outlets import SyntheticOutlets
from bench.runonce import NEWSRADAR, Workspace

BIN = Path(sys.executable).parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=300)
    parser.add_argument("--articles", type=int, default=2, help="articles per outlet")
    parser.add_argument("--phase", choices=("full", "idle"), default="idle")
    parser.add_argument(
        "--real-pages", action="store_true", help="serve the extraction-dev pages as articles"
    )
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench/results/profiles"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    text = args.out / f"run-once-{args.phase}.txt"
    pages = [html for *_, html, _body in load_pages(DEFAULT_DATA)] if args.real_pages else []
    with (
        SyntheticOutlets(args.outlets, args.articles, pages=pages) as server,
        scratch("profile") as root,
    ):
        workspace = Workspace(root)
        workspace.write_config(server.outlets_config())
        workspace.prepare_database().close()
        if args.phase == "idle":
            print(workspace.run_once().summary, file=sys.stderr)
            server.take_counts()
        command = [str(BIN / "pyinstrument"), "-r", "text", "--show-all", "-o", str(text)]
        subprocess.run(
            [*command, str(NEWSRADAR), "run-once"], env=workspace.env(), cwd=root, check=True
        )
        print(f"requests: {server.take_counts()}; profile in {text}", file=sys.stderr)
        if args.cprofile:
            if args.phase == "full":  # start again from an empty database
                workspace.database.unlink()
                for suffix in ("-wal", "-shm"):
                    Path(f"{workspace.database}{suffix}").unlink(missing_ok=True)
                workspace.prepare_database().close()
                workspace.run_once()  # (robots.txt etc. warm on the server side too)
                workspace.database.unlink()
                for suffix in ("-wal", "-shm"):
                    Path(f"{workspace.database}{suffix}").unlink(missing_ok=True)
                workspace.prepare_database().close()
            raw = args.out / f"run-once-{args.phase}.prof"
            subprocess.run(
                [sys.executable, "-m", "cProfile", "-o", str(raw), str(NEWSRADAR), "run-once"],
                env=workspace.env(),
                cwd=root,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            target = args.out / f"run-once-{args.phase}.cprofile.txt"
            with target.open("w") as stream:
                stats = pstats.Stats(str(raw), stream=stream)
                stats.sort_stats("tottime").print_stats(60)
                stats.sort_stats("cumulative").print_stats(80)
            print(f"cProfile in {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
