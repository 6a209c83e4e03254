"""The bot's /start and /help, apart from the handlers so the tests can run every query example
in them (tests/test_query_examples.py)."""

WELCOME = (
    "Hello! I send an alert to {where} when a news article matches a watchlist.\n\n"
    "• /list shows the watchlists you can join; /subscribe ID joins one.\n"
    "• /watch QUERY makes your own, e.g. <code>/watch Iraq militia*</code> "
    "(/try QUERY first to see what it would have caught).\n"
    "• /digest hourly bundles alerts into one message an hour.\n\n"
    "/help lists everything."
)

HELP = """<b>What I understand</b>
/list — watchlists you can join
/subscribe ID — get a watchlist's alerts in this chat
/unsubscribe ID — stop them
/mine — what this chat receives
/pause, /resume — hold all alerts, then start again
/unmute ID — undo a watchlist's mute before its day is over
/digest off|hourly|daily — one summary per hour or day instead of each alert
/watch QUERY — your own watchlist, e.g. <code>/watch Iraq militia* -sports</code>
/watches — your own watchlists, by number
/unwatch N — remove one
/try QUERY — what a query would have matched in the last 7 days

<b>Queries</b>: words (all must appear), <code>OR</code>, <code>"exact phrase"</code>, \
<code>-excluded</code>, <code>prefix*</code>, <code>( )</code>, <code>title:word</code>, \
<code>Kataib NEAR/5 strike*</code> (both within 5 words, either order), \
<code>Iraq lang:en</code> (articles in English; any two-letter ISO 639-1 code, \
<code>-lang:fr</code> for all but French). \
Case and accents do not matter; words match whole (<code>Iraq</code> is not "Iraqiyya", \
<code>Iraq*</code> is).

Each alert has buttons to mute its watchlist for a day or to unsubscribe."""

OPERATOR_HELP = """
<b>Operators</b>
/status — per-outlet health
/outlets — the outlets crawled"""
