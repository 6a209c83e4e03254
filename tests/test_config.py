"""The config loader: every error names file, line and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsradar.config import ConfigError, load_config
from tests.support.config_files import OUTLETS
from tests.support.query_cases import NEAR_REFUSED

SHIPPED = Path(__file__).resolve().parent.parent / "config"


def _write(tmp_path: Path, outlets: str, watchlists: str) -> Path:
    (tmp_path / "outlets.yaml").write_text(outlets)
    (tmp_path / "watchlists.yaml").write_text(watchlists)
    return tmp_path


def _problems(tmp_path: Path, outlets: str, watchlists: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, outlets, watchlists))
    return [str(p) for p in caught.value.problems]


def test_shipped_config_is_valid() -> None:
    config = load_config(SHIPPED)
    assert {o.id for o in config.outlets} >= {"responsible-statecraft"}
    iraq = next(w for w in config.watchlists if w.id == "iraq-escalation")
    assert iraq.open and iraq.outlets == "all"


def test_keywords_shorthand_and_options(tmp_path: Path) -> None:
    config = load_config(
        _write(
            tmp_path,
            OUTLETS,
            "watchlists:\n"
            "  - id: m\n    title: M\n    keywords: [Kataib Hezbollah, militia]\n"
            "    outlets: [rs]\n    chats: [-1001234567890]\n    min_hits: 2\n",
        )
    )
    (watchlist,) = config.watchlists
    assert watchlist.applies_to("rs") and not watchlist.applies_to("other")
    assert watchlist.min_hits == 2 and watchlist.chats == [-1001234567890]


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    problems = _problems(tmp_path, OUTLETS, "watchlists:\n  - id: a\n    title: [unclosed\n")
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'watchlists.yaml'}:")
    assert "invalid YAML" in problems[0]


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    outlets = OUTLETS + (
        "  - id: Bad Id\n"  # line 6
        "    name: Broken\n"
        "    feeds: [not-a-url]\n"  # line 8
        "    every: every now and then\n"  # line 9
        "  - id: rs\n"  # line 10: duplicate
        "    name: Again\n"
        "    listing_pages: [https://example.org/]\n"
        "    article_url_pattern: '(unclosed'\n"  # line 13
    )
    watchlists = (
        "watchlists:\n"
        "  - id: w1\n"
        "    title: One\n"
        "    query: 'Iraq OR'\n"  # line 4: dangling OR
        "    chats: [12, abc]\n"  # line 5: not a number
        "  - id: w2\n"
        "    title: Two\n"
        "    query: Iraq\n"
        "    outlets: [rs, nowhere]\n"  # line 9: unknown outlet
    )
    problems = _problems(tmp_path, outlets, watchlists)
    text = "\n".join(problems)
    outlets_file, watchlists_file = tmp_path / "outlets.yaml", tmp_path / "watchlists.yaml"
    assert f"{outlets_file}:6" in text and "lower-case" in text
    assert f"{outlets_file}:8" in text and "not-a-url" in text
    assert f"{outlets_file}:9" in text and "cron" in text
    assert f"{outlets_file}:13" in text and "regular expression" in text
    assert f"{watchlists_file}:4:" in text and "OR" in text
    assert f"{watchlists_file}:5" in text and "abc" in text
    # Unknown outlets are checked once both files are readable; the duplicate id too.
    assert len(problems) >= 6


def test_unknown_outlet_and_duplicate_ids(tmp_path: Path) -> None:
    outlets = OUTLETS + "  - id: rs\n    name: Again\n    feeds: [https://example.org/feed]\n"
    watchlists = (
        "watchlists:\n  - id: w\n    title: W\n    query: Iraq\n    outlets: [nowhere]\n"
        "  - id: w\n    title: W again\n    query: Iraq\n"
    )
    text = "\n".join(_problems(tmp_path, outlets, watchlists))
    assert f"{tmp_path / 'outlets.yaml'}:6: duplicate id 'rs'" in text
    assert f"{tmp_path / 'watchlists.yaml'}:6: duplicate id 'w'" in text
    assert f"{tmp_path / 'watchlists.yaml'}:5:" in text and "unknown outlet id 'nowhere'" in text


def test_query_error_points_at_the_column_in_the_file(tmp_path: Path) -> None:
    watchlists = "watchlists:\n  - id: w\n    title: W\n    query: 'Iraq \"Al Asad'\n"
    (problem,) = _problems(tmp_path, OUTLETS, watchlists)
    # The unbalanced quote is the 6th character of the query, which starts at column 13.
    assert problem.startswith(f"{tmp_path / 'watchlists.yaml'}:4:18:"), problem
    assert "quote" in problem


@pytest.mark.parametrize(("query", "column", "message"), NEAR_REFUSED)
def test_a_bad_near_is_refused_at_its_line_and_column_with_a_hint(
    tmp_path: Path, query: str, column: int, message: str
) -> None:
    """The same words /watch and /try answer with (tests/test_bot_replies.py)."""
    watchlists = f"watchlists:\n  - id: w\n    title: W\n    query: '{query}'\n"
    (problem,) = _problems(tmp_path, OUTLETS, watchlists)
    assert problem.startswith(f"{tmp_path / 'watchlists.yaml'}:4:{12 + column}:"), problem
    assert message in problem and "e.g. Kataib NEAR/5 strike*" in problem


GOOD_WATCHLISTS = "watchlists:\n  - id: w\n    title: W\n    query: Iraq\n"

# (what an operator might save, which file, the line the error must name, words the message has)
BROKEN_EDITS = [
    # A YAML parser notices an unclosed bracket or quote at the end of the file.
    ("unclosed flow list", "watchlists", "watchlists:\n  - id: w\n    chats: [1, 2\n", 4, "YAML"),
    ("unclosed quote", "watchlists", "watchlists:\n  - id: 'w\n    title: W\n", 4, "YAML"),
    ("tab indentation", "watchlists", "watchlists:\n\t- id: w\n", 2, "YAML"),
    ("bad indentation", "outlets", "outlets:\n  - id: rs\n   name: x\n", 3, "YAML"),
    ("a list where a mapping goes", "watchlists", "- id: w\n  query: Iraq\n", 1, "watchlists"),
    ("empty file", "watchlists", "", 1, "watchlists"),
    ("missing title", "watchlists", "watchlists:\n  - id: w\n    query: Iraq\n", 2, "title"),
    (
        "neither query nor keywords",
        "watchlists",
        "watchlists:\n  - id: w\n    title: W\n",
        2,
        "query",
    ),
    ("empty query", "watchlists", "watchlists:\n  - id: w\n    title: W\n    query: ''\n", 4, ""),
    (
        "unbalanced parenthesis",
        "watchlists",
        "watchlists:\n  - id: w\n    title: W\n    query: '(Iraq OR Syria'\n",
        4,
        "unclosed '('",
    ),
    (
        "dangling OR",
        "watchlists",
        "watchlists:\n  - id: w\n    title: W\n    query: 'OR Iraq'\n",
        4,
        "OR",
    ),
    (
        "chat id that is not a number",
        "watchlists",
        "watchlists:\n  - id: w\n    title: W\n    query: Iraq\n    chats: [me]\n",
        5,
        "me",
    ),
    (
        "unknown key (a typo)",
        "watchlists",
        "watchlists:\n  - id: w\n    title: W\n    qeury: Iraq\n",
        4,
        "qeury",
    ),
    (
        "min_hits of zero",
        "watchlists",
        "watchlists:\n  - id: w\n    title: W\n    query: Iraq\n    min_hits: 0\n",
        5,
        "min_hits",
    ),
    (
        "bad cron line",
        "outlets",
        OUTLETS.replace("    every: 15m\n", "    cron: '61 * * * *'\n"),
        5,
        "cron",
    ),
    ("outlet without sources", "outlets", "outlets:\n  - id: rs\n    name: RS\n", 2, "feeds"),
]


@pytest.mark.parametrize(
    ("file", "text", "line", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in BROKEN_EDITS],
)
def test_every_kind_of_broken_edit_is_refused_with_file_and_line(
    tmp_path: Path, file: str, text: str, line: int, words: str
) -> None:
    outlets = text if file == "outlets" else OUTLETS
    watchlists = text if file == "watchlists" else GOOD_WATCHLISTS
    problems = _problems(tmp_path, outlets, watchlists)
    path = tmp_path / f"{file}.yaml"
    located = [p for p in problems if p.startswith(f"{path}:{line}:")]
    assert located, problems
    assert words.lower() in located[0].lower(), located


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, OUTLETS, GOOD_WATCHLISTS)
    (tmp_path / "watchlists.yaml").write_bytes(b"watchlists:\n  - id: \xff\xfe\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value.problems[0]).startswith(f"{tmp_path / 'watchlists.yaml'}")


def test_a_query_nested_past_the_bound_is_a_problem_at_line_and_column(tmp_path: Path) -> None:
    prefix = "    query: '"
    watchlists = "watchlists:\n  - id: w\n    title: W\n" + prefix + "title:" * 1200 + "iraq'\n"
    (problem,) = _problems(tmp_path, OUTLETS, watchlists)
    column = len(prefix) + 64 * len("title:") + 1
    assert problem.startswith(f"{tmp_path / 'watchlists.yaml'}:4:{column}: watchlist 'w'")
    assert "nested too deeply" in problem


def test_an_echoed_value_is_cut_with_its_size(tmp_path: Path) -> None:
    outlets = OUTLETS + "  - id: big\n    name: Big\n    feeds: ['" + "x" * 1_000_000 + "']\n"
    (problem,) = _problems(tmp_path, outlets, "watchlists: []\n")
    assert problem.startswith(f"{tmp_path / 'outlets.yaml'}:8: outlet 'big' feeds:"), problem[:200]
    assert "not an http(s) URL: 'xxx" in problem and problem.endswith("… (cut, 1,000 kB)")
    assert len(problem) < 600


def test_thousands_of_problems_are_reported_as_the_first_few_and_a_count(tmp_path: Path) -> None:
    outlets = "outlets:\n" + "  - id: Bad Id\n    name: B\n    feeds: [https://b.org/]\n" * 3000
    problems = _problems(tmp_path, outlets, "watchlists: []\n")
    assert len(problems) == 51
    assert problems[-1] == f"{tmp_path / 'outlets.yaml'}: ... and 2,950 more problems"


def test_a_value_yaml_cannot_construct_is_a_problem_at_its_line(tmp_path: Path) -> None:
    """`2020-13-45` looks like a date to YAML, which then raises a plain ValueError."""
    watchlists = "watchlists:\n  - id: w\n    title: 2020-13-45\n    query: Iraq\n"
    (problem,) = _problems(tmp_path, OUTLETS, watchlists)
    assert problem.startswith(f"{tmp_path / 'watchlists.yaml'}:3:12: invalid YAML: cannot read")
    assert "month must be in 1..12" in problem


# ----- schedules, file names, what the loader says ------------------------------------------------
def _one_outlet(schedule: str) -> str:
    return "outlets:\n  - id: rs\n    name: RS\n    feeds: [https://rs.org/feed]\n" + schedule


@pytest.mark.parametrize("every", ["15", "15 minutes", "'*/5 * * *'", "[15m]"])
def test_a_wrong_every_says_which_forms_it_takes(tmp_path: Path, every: str) -> None:
    (problem,) = _problems(tmp_path, _one_outlet(f"    every: {every}\n"), "watchlists: []\n")
    assert problem.startswith(f"{tmp_path / 'outlets.yaml'}:5: outlet 'rs' every:"), problem
    assert "30s, 15m, 2h, 1d, 1w" in problem and "'*/15 * * * *'" in problem


@pytest.mark.parametrize("every", ["90s", "15m", "2h", "1d", "1w", "'*/15 * * * *'"])
def test_every_takes_an_interval_or_a_crontab_line(tmp_path: Path, every: str) -> None:
    config = load_config(_write(tmp_path, _one_outlet(f"    every: {every}\n"), "watchlists: []\n"))
    assert config.outlets[0].every == every.strip("'")


def test_every_and_cron_together_are_refused(tmp_path: Path) -> None:
    outlets = _one_outlet("    every: 15m\n    cron: '0 * * * *'\n")
    (problem,) = _problems(tmp_path, outlets, "watchlists: []\n")
    assert "outlet 'rs': give either every: ('15m') or cron: ('0 * * * *'), not both" in problem


def test_a_bad_crontab_line_says_what_its_fields_are(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, _one_outlet("    cron: '*/0 * * * *'\n"), "watchlists: []\n")
    assert "outlet 'rs' cron: '*/0 * * * *' is not a crontab line" in problem
    assert "minute hour day-of-month month day-of-week" in problem


def test_outlets_yml_is_found(tmp_path: Path) -> None:
    (tmp_path / "outlets.yml").write_text(OUTLETS)
    (tmp_path / "watchlists.yml").write_text("watchlists: []\n")
    assert [o.id for o in load_config(tmp_path).outlets] == ["rs"]


def test_a_missing_file_names_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "outlets.yaml").write_text(OUTLETS)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    (problem,) = (str(p) for p in caught.value.problems)
    assert problem == f"{tmp_path}: no watchlists.yaml (or watchlists.yml) in {tmp_path.resolve()}"


def test_both_spellings_of_one_file_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, OUTLETS, "watchlists: []\n")
    (tmp_path / "outlets.yml").write_text(OUTLETS)
    (problem,) = (str(p) for p in _raised(tmp_path).problems)
    assert "both outlets.yaml and outlets.yml exist: keep one" in problem


def test_a_missing_directory_says_how_to_name_it(tmp_path: Path) -> None:
    (problem,) = (str(p) for p in _raised(tmp_path / "nope").problems)
    assert problem.startswith(f"{tmp_path / 'nope'}: no such directory")
    assert "--config DIR or NEWSRADAR_CONFIG_DIR" in problem


def test_chats_that_are_not_a_list_are_a_problem_not_a_crash(tmp_path: Path) -> None:
    watchlists = "watchlists:\n  - id: w\n    title: W\n    query: Iraq\n    chats: 5\n"
    (problem,) = _problems(tmp_path, OUTLETS, watchlists)
    assert problem.startswith(f"{tmp_path / 'watchlists.yaml'}:5: watchlist 'w' chats:")


def test_an_indentation_slip_is_explained(tmp_path: Path) -> None:
    outlets = "outlets:\n  - id: rs\n    name: RS\n   feeds: [https://rs.org/feed]\n"
    (problem,) = _problems(tmp_path, outlets, "watchlists: []\n")
    assert problem.startswith(f"{tmp_path / 'outlets.yaml'}:4:")
    assert "invalid YAML: indentation: 'feeds:' on line 4 starts at column 4" in problem
    assert "'name:' on line 3 at column 5" in problem


def _raised(directory: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    return caught.value
