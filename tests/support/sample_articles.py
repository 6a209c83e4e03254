"""New Iraq articles to publish on the sample outlets during a scenario, each telling a story of
its own so that none is a near-duplicate of another."""

from __future__ import annotations

from datetime import timedelta

from newsradar.demo.content import SampleArticle

BODIES = (
    (
        "a drone launched by an Iraqi militia struck a base on Sunday, the latest in a string "
        "of attacks on US forces in Iraq since the autumn.",
        "Officials said nobody was hurt, but the strike shows how quickly the conflict could "
        "widen if Washington answers with force of its own, analysts in Baghdad warned.",
        "The militia behind it has claimed several earlier attacks on coalition bases and "
        "promised more unless the remaining American troops leave the country this year.",
        "Diplomats in the region said the government in Baghdad is caught between its partners "
        "in Washington and the armed factions that helped it defeat the Islamic State, and that "
        "every new strike narrows the room it has to manoeuvre.",
        "Commanders have reinforced air defences at the bases that remain, but drones are cheap "
        "and plentiful, and the attacks come at night from orchards and back roads where the "
        "launch teams melt away long before any patrol arrives.",
    ),
    (
        "the oil fields around Kirkuk were quiet this week, yet engineers say the pipeline to "
        "the Turkish coast has carried barely a trickle since the arbitration ruling last year.",
        "Revenue from crude still pays almost every public salary in Iraq, and the finance "
        "ministry has borrowed from state banks twice since the summer to make payroll on time.",
        "Kurdish officials blame Baghdad for the stalemate; federal officials blame Erbil for "
        "selling oil on its own terms. Foreign companies have stopped drilling new wells.",
        "Economists warn that a fall in prices next spring would leave the budget with a gap "
        "no loan could close, at a moment when militia strikes already frighten off investors.",
        "A deal is on the table, diplomats say, but it needs a parliament that has not met with "
        "a quorum since October and a cabinet whose ministers rarely agree on anything.",
    ),
)


def new_article(outlet: str, slug: str, title: str, body: int = 0) -> SampleArticle:
    first, *rest = BODIES[body]
    return SampleArticle(
        outlet=outlet,
        slug=slug,
        title=title,
        dek="What the latest news from Iraq means.",
        author="Ellen Ioanes",
        age=timedelta(minutes=10),
        paragraphs=(f"{title}: {first}", *rest),
    )


PLACES = ("Erbil", "Baghdad", "Basra", "Mosul", "Kirkuk", "Najaf")


def fresh_article(slug: str, title: str, n: int = 0) -> SampleArticle:
    """A new Iraq article; each `n` tells a different story, so none is a near-duplicate."""
    place, other = PLACES[n % len(PLACES)], PLACES[(n + 3) % len(PLACES)]
    return SampleArticle(
        outlet="wp",
        slug=slug,
        title=title,
        dek=f"What the latest attack near {place} means.",
        author="Ellen Ioanes",
        age=timedelta(minutes=1),
        paragraphs=(
            f"Report {n}: a drone launched by an Iraqi militia struck a base near {place}, "
            f"days after officials in {other} warned that such an attack was coming.",
            f"In {place}, local leaders asked for calm while investigators from {other} "
            f"examined what was left of the drone, the {n + 2}th such incident this season.",
            f"Analysts in {other} said the militia wanted to test Washington's patience in "
            f"Iraq without provoking a war, and that more strikes of this kind are likely.",
        ),
    )
