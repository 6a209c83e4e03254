"""The other commands against a real crawl: extract, backtest, status, check-config; politeness of
the crawl."""

from __future__ import annotations

import json
import subprocess
import urllib.request

from newsradar.demo.content import STATECRAFT_ARTICLES
from newsradar.demo.server import SampleOutlets
from newsradar.processes.exit_codes import EXIT_DATAERR, EXIT_NOINPUT
from tests.support.config_files import OUTLETS
from tests.support.newer_schema import NEWER_REVISION, newer_database
from tests.support.workspace import NEWSRADAR, Workspace

IRAQ = {"id": "iraq", "title": "Iraq", "query": "Iraq militia*", "chats": [7]}


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_extract_files_and_stdin(workspace: Workspace, sample_outlets: SampleOutlets) -> None:
    article = STATECRAFT_ARTICLES[0]
    url = sample_outlets.article_url(article)
    page = workspace.root / "page.html"
    page.write_bytes(_fetch(url))

    result = workspace.run("extract", str(page), "missing.html", "--url", url)

    assert result.returncode == 1  # one input could not be read
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["path"] == str(page)
    assert first["title"] == article.title
    assert first["url"] == url
    assert first["language"] == "en"
    assert first["published"].startswith(
        str(sample_outlets.sites["statecraft"].published(article).year)
    )
    assert first["text"] == article.body_text
    assert second["path"] == "missing.html" and "cannot read" in second["error"]

    piped = subprocess.run(
        [str(NEWSRADAR), "extract", "-"],
        input=page.read_bytes(),
        capture_output=True,
        check=False,
        env=workspace.env(),
    )
    assert piped.returncode == 0
    record = json.loads(piped.stdout)
    assert record["path"] == "-" and record["text"] == article.body_text


def test_backtest_lists_matches_newest_first(
    workspace: Workspace, sample_outlets: SampleOutlets
) -> None:
    workspace.write_config(sample_outlets.outlets_config(), [IRAQ])
    assert workspace.run("run-once").returncode == 0

    recent = workspace.run("backtest", "iraq", "--since", "7d")
    everything = workspace.run("backtest", "iraq", "--since", "90d")
    adhoc = workspace.run("backtest", "--query", 'title:"Cornered in Iraq"', "--since", "90d")

    assert recent.returncode == everything.returncode == adhoc.returncode == 0
    lines = everything.stdout.splitlines()
    assert any("Can Escalation be Prevented in Iraq?" in line for line in lines)  # old, now shown
    assert not any(
        "Can Escalation be Prevented in Iraq?" in line for line in recent.stdout.splitlines()
    )
    dates = [line[:16] for line in lines]
    assert dates == sorted(dates, reverse=True)
    assert all("[" in line and "Iraq" in line.split("[")[-1] for line in lines)  # terms shown
    assert adhoc.stdout.count("\n") == 1 and "Cornered in Iraq" in adhoc.stdout

    bad = workspace.run("backtest", "--query", "Iraq OR")
    assert bad.returncode == 2 and "OR" in bad.stderr


def test_crawl_is_polite(workspace: Workspace, sample_outlets: SampleOutlets) -> None:
    outlets = sample_outlets.outlets_config()
    statecraft = next(o for o in outlets if o["id"] == "statecraft")
    statecraft["listing_pages"] = [
        *statecraft["listing_pages"],
        statecraft["feeds"][0].replace("/feeds/feed.rss", "/search"),
    ]
    workspace.write_config(outlets, [IRAQ], crawl={"contact_url": "https://radar.example/about"})

    assert workspace.run("run-once").returncode == 0

    requests = sample_outlets.requests("statecraft")
    assert requests["/robots.txt"] == 1
    assert "/search" not in requests  # disallowed by robots.txt
    assert not any(path.startswith("/latest/") for path in requests)  # not article URLs
    agents = sample_outlets.sites["statecraft"].user_agents
    assert len(agents) == 1 and agents.pop().startswith("newsradar/")
    assert all(
        ua.endswith("(+https://radar.example/about)")
        for site in sample_outlets.sites.values()
        for ua in site.user_agents
    )
    status = workspace.run("status")
    line = next(line for line in status.stdout.splitlines() if line.startswith("statecraft"))
    assert "robots.txt" in line


def test_demo_prints_the_alerts_it_would_send(workspace: Workspace) -> None:
    result = workspace.run("demo")

    assert result.returncode == 0, result.stderr
    assert "--- to chat 100000001 ---" in result.stdout
    assert "Cornered in Iraq" in result.stdout
    assert "US strikes in Iraq show risk of escalation to wider war" in result.stdout
    assert result.stdout.count("US strikes in Iraq show risk of escalation to wider war\n") == 1
    assert "Can Escalation be Prevented in Iraq?" not in result.stdout  # back catalogue
    assert "1 duplicates recognised" in result.stderr


def test_check_config_command(workspace: Workspace) -> None:
    workspace.config_dir.mkdir()
    (workspace.config_dir / "outlets.yaml").write_text(OUTLETS)
    (workspace.config_dir / "watchlists.yaml").write_text(
        "watchlists:\n  - id: w\n    title: W\n    query: '(Iraq'\n    chats: [1]\n"
    )
    broken = workspace.run("check-config")
    assert broken.returncode == 2
    assert "watchlists.yaml:4:13: watchlist 'w' query: unclosed '('" in broken.stderr

    (workspace.config_dir / "watchlists.yaml").write_text(
        "watchlists:\n  - id: w\n    title: W\n    query: '(Iraq)'\n    chats: [1]\n"
    )
    fixed = workspace.run("check-config", "--config", str(workspace.config_dir))
    assert fixed.returncode == 0, fixed.stderr
    assert "ok" in fixed.stdout


def test_demo_keeps_its_workspace_for_status_and_backtest(workspace: Workspace) -> None:
    kept = workspace.root / "demo"
    result = workspace.run("demo", "--keep", str(kept))
    assert result.returncode == 0, result.stderr
    assert f"Kept in {kept}" in result.stderr
    assert (kept / "config" / "outlets.yaml").is_file() and (kept / "newsradar.db").is_file()

    def in_kept(*args: str) -> subprocess.CompletedProcess[str]:
        """As the demo says: `cd DIR && newsradar ...`, with no NEWSRADAR_ variables."""
        env = {k: v for k, v in workspace.env().items() if not k.startswith("NEWSRADAR_")}
        return subprocess.run(
            [str(NEWSRADAR), *args], env=env, cwd=kept, capture_output=True, text=True, check=False
        )

    status = in_kept("status")
    assert status.returncode == 0, status.stderr
    statecraft = next(line for line in status.stdout.splitlines() if line.startswith("statecraft"))
    assert statecraft.split()[-1] == "0" and " UTC" in statecraft  # times say their zone
    backtest = in_kept("-v", "backtest", "--query", "Cornered in Iraq", "--since", "90d")
    assert backtest.returncode == 0, backtest.stderr
    assert "Cornered in Iraq" in backtest.stdout and " UTC  " in backtest.stdout

    again = workspace.run("demo", "--keep", str(kept))
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"newsradar demo: {kept} already has config and newsradar.db; "
        "give an empty or new directory"
    )


def test_readers_do_not_create_a_database(workspace: Workspace) -> None:
    workspace.write_config([], [IRAQ])
    for command in (["status"], ["backtest", "iraq"]):
        result = workspace.run(*command)
        assert result.returncode == EXIT_NOINPUT, result.stderr
        assert result.stderr.startswith(f"newsradar: no database at {workspace.root}")
    assert not (workspace.root / "newsradar.db").exists()


def test_a_database_of_a_newer_version_is_one_line_saying_to_upgrade(
    workspace: Workspace,
) -> None:
    workspace.write_config([], [IRAQ])
    database = workspace.root / "newsradar.db"
    newer_database(database)
    before = database.read_bytes()
    for command in (["run-once"], ["status"], ["backtest", "iraq"]):
        result = workspace.run(*command)
        assert result.returncode == EXIT_DATAERR, result.stderr
        (line,) = result.stderr.splitlines()
        assert "made by a newer newsradar" in line and NEWER_REVISION in line
        assert "upgrade newsradar" in line
    assert database.read_bytes() == before


def test_v_before_or_after_the_command_shows_newsradars_lines_not_scrapys(
    workspace: Workspace, sample_outlets: SampleOutlets
) -> None:
    workspace.write_config(sample_outlets.outlets_config(), [IRAQ])
    before = workspace.run("-v", "run-once")
    after = workspace.run("run-once", "-v")
    for result in (before, after):
        assert result.returncode == 0, result.stderr
        assert " INFO newsradar: statecraft (" in result.stderr  # each outlet's summary
        assert "scrapy" not in result.stderr and "alembic" not in result.stderr
    framework = workspace.run("run-once", "-vv")
    assert "INFO scrapy." in framework.stderr  # the frameworks' own lines, with -vv
