"""Sample articles of the demo outlets, as data.

The bodies are the texts the real outlets published (see ``texts/``), so the demo and the tests
exercise the extractor on real prose. Ages are relative to the server's ``now``: NEW articles are
hours old (inside any sensible backfill window), OLD ones are weeks old.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import NotRequired, TypedDict, Unpack

SUBHEADING_MARK = "## "
NEW_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class SampleArticle:
    """One sample article; ``paragraphs`` is the clean body an extractor must recover."""

    outlet: str
    slug: str
    title: str
    dek: str
    author: str
    age: timedelta
    paragraphs: tuple[str, ...]
    section: str = "Analysis"
    subheadings: frozenset[str] = field(default_factory=frozenset)
    image_credit: str = ""
    author_bio: str = ""
    alt_path: str | None = None  # a second URL serving the same article, without rel=canonical

    @property
    def key(self) -> str:
        return f"{self.outlet}/{self.slug}"

    @property
    def is_new(self) -> bool:
        return self.age <= NEW_MAX_AGE

    @property
    def body_text(self) -> str:
        """The body as the extractor should return it: paragraphs joined by blank lines."""
        return "\n\n".join(self.paragraphs)


@cache
def _load_text(name: str) -> tuple[tuple[str, ...], frozenset[str]]:
    raw = resources.files(__package__).joinpath("texts", f"{name}.txt").read_text("utf-8")
    blocks = [block.strip() for block in raw.split("\n\n") if block.strip()]
    headings = {b.removeprefix(SUBHEADING_MARK) for b in blocks if b.startswith(SUBHEADING_MARK)}
    return tuple(b.removeprefix(SUBHEADING_MARK) for b in blocks), frozenset(headings)


class ArticleFields(TypedDict):
    """The fields of a SampleArticle that `article` does not make itself."""

    title: str
    dek: str
    author: str
    age: timedelta
    section: NotRequired[str]
    image_credit: NotRequired[str]
    author_bio: NotRequired[str]
    alt_path: NotRequired[str | None]


def article(
    outlet: str, slug: str, *, text: str | None = None, **fields: Unpack[ArticleFields]
) -> SampleArticle:
    """Build a sample article whose body comes from ``texts/<text or slug>.txt``."""
    paragraphs, subheadings = _load_text(text or slug)
    return SampleArticle(
        outlet=outlet,
        slug=slug,
        paragraphs=paragraphs,
        subheadings=subheadings,
        **fields,
    )


WEINSTEIN_BIO = (
    "Adam Weinstein is Deputy Director of the Middle East program at the Quincy Institute, whose "
    "current research focuses on security and rule of law in Afghanistan, Pakistan, and Iraq."
)

STATECRAFT_ARTICLES = (
    article(
        "statecraft",
        "us-strikes-in-iraq-escalation",
        title="US strikes in Iraq show risk of escalation to wider war",
        dek=(
            "Washington doesn't want to grapple with the problems inherent to stationing troops "
            "in volatile Middle East states."
        ),
        author="Adam Weinstein",
        age=timedelta(hours=2),
        section="Analysis | QiOSK",
        image_credit=(
            "Marines disembark from a V-22 Osprey at Al Asad Air Base in Iraq in 2018 "
            "(Cpl. Jered T. Stone/ Marine Corps)"
        ),
        author_bio=WEINSTEIN_BIO,
        alt_path="/qiosk/us-strikes-iraq-risk/",
    ),
    article(
        "statecraft",
        "militias-and-the-ab-of-iraq-strikes",
        title='Militias <and> the "A&B" of Iraq strikes',
        dek="The tit-for-tat between U.S. forces and Iraqi militias has a routine. Routines break.",
        author="Adam Weinstein",
        age=timedelta(hours=1),
        section="Analysis | Middle East",
        image_credit="A U.S. Air Force F-15E over northern Iraq in 2023 (U.S. Air Force photo)",
        author_bio=WEINSTEIN_BIO,
    ),
    article(
        "statecraft",
        "biden-landmines-ukraine-reversal",
        title="Biden's landmine reversal for Ukraine: big risk, little reward",
        dek="Non-persistent mines are still mines, and civilians will pay for them for decades.",
        author="Responsible Statecraft Staff",
        age=timedelta(hours=5),
        section="Analysis | Europe",
        image_credit=(
            "A sapper of the 24th mechanized brigade installs an anti-tank landmine near "
            "Chasiv Yar, Ukraine, October 30, 2024. (REUTERS)"
        ),
    ),
    article(
        "statecraft",
        "ukraine-war-1000-days",
        title="Ukraine war at 1,000 days: missiles, mines and nuclear warnings",
        dek="Washington lifted limits on long-range strikes; Moscow answered with a new missile.",
        author="Responsible Statecraft Staff",
        age=timedelta(days=18),
        section="News | Europe",
    ),
    article(
        "statecraft",
        "icc-warrants-netanyahu-gallant",
        title="ICC issues arrest warrants for Netanyahu and Gallant",
        dek=(
            "The court found reasonable grounds for charges of war crimes and crimes "
            "against humanity."
        ),
        author="Responsible Statecraft Staff",
        age=timedelta(days=19),
        section="News | Middle East",
    ),
    article(
        "statecraft",
        "can-escalation-be-prevented-in-iraq",
        title="Can Escalation be Prevented in Iraq?",
        dek=(
            "Washington’s decision on December 29 to bomb the Iraqi militia sites along the "
            "Iraqi-Syrian border threw a hand-grenade into that chaotic, but strongly "
            "anti-Iranian, political maelstrom."
        ),
        author="Helena Cobban",
        age=timedelta(days=30),
        section="Analysis | Middle East",
        image_credit=(
            "U.S. Marines prepare to deploy from Kuwait in support of a crisis response mission, "
            "Dec. 31, 2019. (U.S. Marine Corps photo by Sgt. Robert Gavaldon)"
        ),
    ),
)

WP_ARTICLES = (
    article(
        "wp",
        "attack-us-troops-iraq-explained",
        title="The attack on US troops in Iraq, explained",
        dek="Why a rocket attack on al-Asad air base could pull the US deeper into a regional war.",
        author="Ellen Ioanes",
        age=timedelta(hours=3),
        section="Explainers",
    ),
    article(
        "wp",
        "red-sea-shipping-attacks-explained",
        title="The Red Sea shipping attacks, explained",
        dek="Why ships are avoiding the Suez Canal, and what it means for prices.",
        author="Ellen Ioanes",
        age=timedelta(days=40),
        section="Explainers",
    ),
)

WIX_ARTICLES = (
    article(
        "wix",
        "cornered-in-iraq",
        title="Cornered in Iraq",
        dek=(
            "Cornered in Iraq, the US faces two unpalatable choices: muddle through the difficult "
            "relationship or risk a complete rupture. But for now, continuing the status quo "
            "seems less risky than severing ties."
        ),
        author="Sara Haddad",
        age=timedelta(hours=4),
        section="Commentary",
    ),
    article(
        "wix",
        "water-scarcity-and-stability-in-southern-iraq",
        title="Water scarcity and stability in southern Iraq",
        dek="Drought, dams and neglect are emptying the villages of the south.",
        author="Sara Haddad",
        age=timedelta(days=45),
        section="Commentary",
    ),
)

SAMPLE_ARTICLES: tuple[SampleArticle, ...] = STATECRAFT_ARTICLES + WP_ARTICLES + WIX_ARTICLES

# Per article key ("outlet/slug"): whether it was published within NEW_MAX_AGE of the server's now.
ARTICLE_IS_NEW: dict[str, bool] = {a.key: a.is_new for a in SAMPLE_ARTICLES}


@dataclass(frozen=True, slots=True)
class RailTeaser:
    """A teaser of another article in the statecraft "LATEST" rail: clutter for the extractor."""

    title: str
    section: str
    image_alt: str
    credit: str
    paragraphs: tuple[str, str]
    path: str


STATECRAFT_RAIL = (
    RailTeaser(
        title="Stars are aligned for Trump's troop withdrawal from Syria",
        section="Middle East",
        image_alt="Analysis | QiOSK",
        credit=(
            "Top photo credit: U.S. military forces walk toward their next coordination along the "
            "demarcation line outside Manbij, Syria, July 18, 2018. (U.S. Army photo by Staff Sgt. "
            "Timothy R. Koster)"
        ),
        paragraphs=(
            "The blitzkrieg offensive which ousted Syrian dictator Bashar al-Assad in December "
            "2024 has sparked an explosive political and military reaction across the country.",
            "Al-Qaeda offshoot Hayat Tahrir al-Sham (HTS) seized Damascus, Israel extended its "
            "occupation in southern Syria, and Turkey launched fresh military operations in North "
            "and East Syria, where the U.S. has long maintained a military presence.",
        ),
        path="/latest/stars-aligned-trump-syria-withdrawal/",
    ),
    RailTeaser(
        title="Ukraine and Europe can't afford to refuse Trump's peace plan",
        section="Europe",
        image_alt="Donald Trump",
        credit=(
            "Top image credit: President Donald Trump speaks to the media following the White "
            "House Easter Egg Roll in Washington, D.C., on April 21, 2025. (Photo by Andrew "
            "Leyden/NurPhoto) VIA REUTERS"
        ),
        paragraphs=(
            "Most of the peace plan for Ukraine now sketched out by the Trump administration is "
            "not new, is based on common sense, and has indeed already been tacitly accepted.",
            "Ukrainian officials have acknowledged that its army has no chance in the foreseeable "
            "future of reconquering the territories now occupied by Russia.",
        ),
        path="/latest/ukraine-europe-trump-peace-plan/",
    ),
    RailTeaser(
        title="Could a Blobby enclave be sowing chaos at DoD?",
        section="Military Industrial Complex",
        image_alt="Michael O'Hanlon, Jack Keane, Michele Flournoy",
        credit=(
            "Top photo credit: Michael O’Hanlon (DoD Photo by U.S. Army Sgt. James K. McCann), "
            "Ret. General Jack Keane (White House photo) and Michele Flournoy (CNAS/Flickr)"
        ),
        paragraphs=(
            "UPDATE 4/24, 5:15 PM: The Defense Policy Board website has been scrubbed, as "
            "reported by The Intercept.",
            "Discussing alleged Pentagon leaks on Monday, recently ousted DoD official Dan "
            "Caldwell charged that there are a number of career staff in the Pentagon who oppose "
            "the current administration’s policies.",
        ),
        path="/latest/blobby-enclave-dod/",
    ),
)

QUOTE_WIDGET = (
    '"Freedom is not something that is given once and for all, it must be fought for every '
    'day." - Nelson Mandela'
)
