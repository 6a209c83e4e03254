"""What newsradar promises about secrets and untrusted pages (SECURITY.md), checked end to end.

- The bot token never appears in any output: stdout, stderr (at the most verbose level the CLI
  has), files in the working directory, or any row of any table, whether Telegram answers, is
  down, or refuses the token.
- Everything from a page is text: a title and body made of markup, format strings and template
  syntax arrive in Telegram as those literal characters, with no extra links or formatting.
- Nothing is written to disk under a name taken from a URL: after a crawl of hostile URLs the
  working directory holds the configuration, the database and its lock, nothing else.
- A crawl opens no control port and leaves nothing outside its working directory (the crawl
  framework's remote control, which would run code sent to a local port, stays off).
"""

from __future__ import annotations

import html
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsradar.demo.server import SampleOutlets
from tests.support.botapi import FakeBotApi
from tests.support.hostile import HostileSite, article_html, listing_html, page
from tests.support.sample_watchlists import WATCHLISTS
from tests.support.telegram_html import parse_html
from tests.support.workspace import NEWSRADAR, Workspace

SECRET = "SECRETtokenNEVERtoBEseen_abc-123"
TOKEN = f"777000:{SECRET}"
CHAT = 1001
RENDERED_ENTITIES = {"text_link", "bold", "italic", "code"}  # what an alert's layout uses


@pytest.fixture
def secret_bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi(TOKEN) as server:
        yield server


def leaks(text: str | bytes) -> bool:
    if isinstance(text, bytes):
        return SECRET.encode() in text
    return SECRET in text


def every_stored_value(database: Path) -> Iterator[tuple[str, object]]:
    with sqlite3.connect(database) as db:
        tables = [
            name for (name,) in db.execute("select name from sqlite_master where type='table'")
        ]
        assert "outbox" in tables and "articles" in tables
        for table in tables:
            for row in db.execute(f'select * from "{table}"'):
                for value in row:
                    yield table, value


def test_the_token_appears_in_no_output_row_or_file(
    workspace: Workspace, sample_outlets: SampleOutlets, secret_bot_api: FakeBotApi
) -> None:
    workspace.write_config(sample_outlets.outlets_config(), WATCHLISTS, crawl={"timeout": "5s"})
    env = {"NEWSRADAR_TELEGRAM_TOKEN": TOKEN, "NEWSRADAR_TELEGRAM_API_URL": secret_bot_api.url}
    outputs = []

    def run(*args: str, **extra: str) -> None:
        full_env = {**workspace.env(**env), **extra}
        result = subprocess.run(
            [str(NEWSRADAR), *args],
            env=full_env,
            cwd=workspace.root,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        outputs.append((" ".join(args), result.returncode, result.stdout + result.stderr))

    run("check-config", "-v")
    # Telegram down: the alerts wait, the errors are logged.
    run("run-once", "-v", NEWSRADAR_TELEGRAM_API_URL="http://127.0.0.1:9")
    # Telegram refusing the token (401).
    with FakeBotApi("777000:another-token") as wrong:
        run("run-once", "-v", NEWSRADAR_TELEGRAM_API_URL=wrong.url)
    # Telegram answering 5xx and flood control on the way.
    secret_bot_api.fail_next("sendMessage", status=502, description="Bad Gateway", times=2)
    secret_bot_api.fail_next("sendMessage", status=429, description="Too Many", retry_after=1)
    run("run-once", "-v")
    run("status", "-v")
    run("backtest", "-v", "--query", "Iraq")
    # A crash path: a database that cannot be opened.
    run("run-once", "-v", NEWSRADAR_DATABASE_URL="sqlite:////proc/no/such/dir/x.db")

    assert secret_bot_api.sent, "the pipeline never reached Telegram: nothing was tested"
    assert any(code != 0 for name, code, _ in outputs if "run-once" in name)  # the crash ran
    for name, _code, output in outputs:
        assert not leaks(output), f"`newsradar {name}` printed the token"
    for table, value in every_stored_value(workspace.root / "newsradar.db"):
        assert not leaks(str(value)), f"the token is stored in table {table}"
    for path in workspace.root.rglob("*"):
        if path.is_file():
            assert not leaks(path.read_bytes()), f"the token is in {path}"


HOSTILE_TITLE = (
    'Iraq <script>alert(1)</script> {0} %s %(x)s {{7*7}} ${7*7} </a><a href="javascript:x()">'
)
HOSTILE_TEXT = [
    "Militia leaders in Iraq said <b>nothing</b> & everything; {title} %d %(url)s "
    "{{ config }} ${jndi:ldap://x/} and \\u0000 were all they wrote.",
    "The statement ended with </a> <i>unclosed and a second <a href='https://evil.example/'>link"
    " </a> that should stay text, as should ../../etc/passwd and file:///etc/passwd.",
]


def test_everything_from_a_page_is_text(workspace: Workspace, bot_api: FakeBotApi, telegram_env):
    article_path = "/news/..%2F..%2Fetc%2Fpasswd-%7B0%7D-%25s"
    with HostileSite("127.0.0.12") as site:
        body = article_html(html.escape(HOSTILE_TITLE), [html.escape(p) for p in HOSTILE_TEXT])
        site.routes.update(
            {
                "/": page(listing_html([article_path, "/news/../../../etc/passwd"])),
                article_path: page(body),
            }
        )
        workspace.write_config(
            [
                {
                    "id": "hostile",
                    "name": "Hostile <b>{0}</b> %s",
                    "listing_pages": [site.url("/")],
                    "article_url_pattern": "/news/",
                }
            ],
            [{"id": "iraq", "title": "Iraq {0} %s", "query": "Iraq militia*", "chats": [CHAT]}],
            crawl={"timeout": "5s"},
        )

        result = workspace.run("run-once", "-v", **telegram_env)

    assert result.returncode == 0, result.stderr
    [message] = bot_api.messages_to(CHAT)
    parsed = parse_html(message["text"])
    # The page's markup, format strings and template syntax arrive as the characters they are.
    assert HOSTILE_TITLE.strip() in parsed.text
    assert "Hostile <b>{0}</b> %s" in parsed.text and "Iraq {0} %s" in parsed.text
    assert "<b>nothing</b> & everything; {title} %d %(url)s {{ config }}" in parsed.text
    # The only link is the article itself; no formatting came from the page.
    links = [e for e in parsed.entities if e["type"] == "text_link"]
    assert [link["url"] for link in links] == [site.url(article_path)]
    assert {e["type"] for e in parsed.entities} <= RENDERED_ENTITIES, parsed.entities
    # Nothing was written under a name taken from a URL.
    written = sorted(
        str(p.relative_to(workspace.root)) for p in workspace.root.rglob("*") if p.is_file()
    )
    unexpected = [
        name
        for name in written
        if not (name.startswith("config/") or name.startswith("newsradar.db"))
    ]
    assert unexpected == [], written


def test_a_crawl_leaves_nothing_in_the_home_directory(
    workspace: Workspace, sample_outlets: SampleOutlets, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    workspace.write_config(sample_outlets.outlets_config(), WATCHLISTS)
    result = workspace.run(
        "run-once",
        HOME=str(home),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    assert result.returncode == 0, result.stderr
    assert "new articles" in result.stderr and " 0 new articles" not in result.stderr
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert left == [], left  # e.g. no job file naming a port and the token to run code there
