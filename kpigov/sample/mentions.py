"""Mentions drawn from the sample world, a day at a time, as canonical ``mentions`` batches.

Each day has its own random stream (seeded by the seed and the date), so the rows do not depend
on the batch size, and every step is a numpy or Arrow array operation over the day's rows; the
only Python loops run over days, platforms and planted campaigns. Besides organic posts a day
carries what ingestion must see through: replies, quote posts, retweet cascades, cross-posted
copies, vendor re-deliveries, a bot farm, employees and (on two dates) a coordinated campaign.
Derived columns (``mention_id``, ``content_hash``, sentiment, ``duplicate_of``, ``cib_cluster``)
stay null and the flags False: ingestion computes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpigov.ingest.rows import DERIVED_FIELDS
from kpigov.sample import vocabulary as vocab
from kpigov.sample.accounts import Accounts, build_accounts
from kpigov.sample.strings import base36, decimal, join
from kpigov.sample.world import World, build_world
from kpigov.store.arrow import arrow_schema
from kpigov.store.schema import mentions

DEFAULT_SEED = 20260101
DEFAULT_START, DEFAULT_END = date(2026, 1, 1), date(2026, 12, 31)

#: Columns ingestion derives; the generator leaves them null (the ``is_*`` flags: False).
LEFT_TO_INGESTION = DERIVED_FIELDS
#: The store's Arrow schema for ``mentions`` (every field nullable; the database enforces NOT NULL).
MENTIONS_SCHEMA = arrow_schema(mentions)

X = vocab.PLATFORMS.index("x")
#: Platforms whose users write English; cross-posts move between them.
ENGLISH_PLATFORMS = tuple(p for p, language in enumerate(vocab.LANGUAGES) if language == "en")
#: Share of organic rows that reply to another post, per platform (Reddit/YouTube are comment-heavy).
REPLY_SHARE = (0.12, 0.25, 0.20, 0.08, 0.08)
QUOTE_SHARE_X = 0.04
#: Share of X originals that get retweeted; cascade sizes are Pareto-distributed.
CASCADE_SHARE_X, CASCADE_PARETO, CASCADE_MAX = 0.08, 1.2, 3000
CROSSPOST_SHARE = 0.015
REDELIVERED_SHARE = 0.004
#: Bot farm volume relative to all organic volume, and employee posts relative to the brand's.
BOT_SHARE, EMPLOYEE_SHARE = 0.03, 0.006
#: Hour of the day (UTC) when each platform's audience posts most.
PEAK_HOUR_UTC = (23, 22, 21, 12, 16)
_SERIALS_PER_DAY = 10**8


@dataclass(frozen=True, slots=True)
class Campaign:
    """Coordinated inauthentic behaviour: many fresh accounts posting one text within an hour."""

    name: str
    start: datetime
    entity: str
    text: str
    variants: tuple[str, ...]
    topic: str


CAMPAIGN_PLAN = (
    Campaign(
        name="kinetiq-astroturf",
        start=datetime(2026, 5, 12, 13, 0),
        entity="kinetiq",
        text="Kinetiq Flux is the best running shoe of 2026, way better than Stridewell",
        variants=("", "!", " #KinetiqFlux", "!! #KinetiqFlux", " 🔥"),
        topic="design",
    ),
    Campaign(
        name="stridewell-recall-pile-on",
        start=datetime(2026, 8, 19, 15, 0),
        entity=vocab.BRAND,
        text="Stridewell soles fall apart, never buying again, switch to Kinetiq",
        variants=("", "!", " #StridewellFail", "!! #StridewellFail", " 👎"),
        topic="durability",
    ),
)


def generate(
    *,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    mentions_per_day: int = 2_000,
    batch_rows: int = 200_000,
) -> Iterator[pa.RecordBatch]:
    """Mention rows from ``start`` to ``end`` (inclusive), in batches of about ``batch_rows``.

    ``mentions_per_day`` is the average organic volume across the four brands; replies,
    reposts, copies, bots and campaigns come on top, and launch and crisis days spike.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be positive, got {batch_rows}")
    world = build_world(seed, start, end, mentions_per_day)
    accounts = build_accounts(seed, start, organic=max(2_000, 30 * mentions_per_day), campaign_count=len(CAMPAIGN_PLAN))
    pending: list[pa.Table] = []
    buffered = 0
    for offset in range((end - start).days + 1):
        table = _day(world, accounts, start + timedelta(days=offset))
        pending.append(table)
        buffered += table.num_rows
        if buffered >= batch_rows:
            yield from pa.concat_tables(pending).combine_chunks().to_batches(max_chunksize=batch_rows)
            pending, buffered = [], 0
    if pending:
        yield from pa.concat_tables(pending).combine_chunks().to_batches(max_chunksize=batch_rows)


@dataclass(slots=True)
class _Rows:
    """One platform's rows for one day, before formatting: numbers, plus the texts and links."""

    entity: np.ndarray
    account: np.ndarray
    created: np.ndarray  # seconds since the epoch
    topic: np.ndarray
    serial: np.ndarray
    text: pa.Array
    reply_to: pa.Array | None = None
    quote_of: pa.Array | None = None
    repost_of: pa.Array | None = None
    silent: bool = False  # a retweet has no engagement of its own

    def __len__(self) -> int:
        return len(self.entity)

    @classmethod
    def concat(cls, parts: list[_Rows]) -> _Rows:
        """Link-free rows (copies) from several sources as one frame, so they format as one table."""
        return cls(
            entity=np.concatenate([part.entity for part in parts]),
            account=np.concatenate([part.account for part in parts]),
            created=np.concatenate([part.created for part in parts]),
            topic=np.concatenate([part.topic for part in parts]),
            serial=np.concatenate([part.serial for part in parts]),
            text=pa.concat_arrays([part.text for part in parts]),
        )


class _Day:
    """Draws one day's rows; holds the day's random stream and its serial-number counter."""

    def __init__(self, world: World, accounts: Accounts, day: date) -> None:
        self.world, self.accounts, self.day = world, accounts, day
        self.t = world.day_index(day)
        self.rng = np.random.default_rng([world.seed, 1, day.toordinal()])
        self.midnight = int((datetime.combine(day, datetime.min.time()) - datetime(1970, 1, 1)).total_seconds())
        self._next_serial = (day - world.start).days * _SERIALS_PER_DAY

    def serials(self, count: int) -> np.ndarray:
        first, self._next_serial = self._next_serial, self._next_serial + count
        return np.arange(first, first + count, dtype=np.int64)

    def times(self, platform: int, count: int) -> np.ndarray:
        """Posting times following the platform audience's daily rhythm."""
        seconds = self.rng.normal(PEAK_HOUR_UTC[platform] * 3600, 4.5 * 3600, count) % 86400
        return self.midnight + seconds.astype(np.int64)

    def organic(self, platform: int) -> tuple[_Rows, np.ndarray]:
        """Organic posts and replies on one platform, and the mask of top-level posts."""
        rng, world = self.rng, self.world
        expected = world.volume[:, self.t] * vocab.PLATFORM_SHARE[platform]
        entity = np.repeat(np.arange(len(vocab.ENTITIES)), rng.poisson(expected))
        count = len(entity)
        created = self.times(platform, count)
        serial = self.serials(count)
        account = _popular(rng, self.accounts.organic, count)

        is_reply = rng.random(count) < REPLY_SHARE[platform]
        is_quote = ~is_reply & (rng.random(count) < (QUOTE_SHARE_X if platform == X else 0.0))
        if (is_reply | is_quote).all():  # nothing to answer: a quiet day's few posts stand alone
            is_reply[:], is_quote[:] = False, False
        top_level = np.flatnonzero(~is_reply & ~is_quote)
        answering = np.flatnonzero(is_reply | is_quote)
        target = top_level[rng.integers(0, max(len(top_level), 1), len(answering))]
        entity[answering] = entity[target]
        created[answering] = created[target] + rng.exponential(2400, len(answering)).astype(np.int64)

        polarity = _categorical(rng, world.polarity[entity, self.t])
        topic = _categorical(rng, world.topic[entity, self.t, polarity])
        text = _organic_text(rng, platform, entity, polarity, topic)
        ids = native_ids(platform, serial)
        linked = np.full(count, -1)
        linked[answering] = target
        reply_to = ids.take(pa.array(np.where(is_reply, linked, 0), mask=~is_reply))
        quote_of = ids.take(pa.array(np.where(is_quote, linked, 0), mask=~is_quote))
        if platform == X:  # an X reply starts with the handle it answers
            answered = self.accounts.handle.take(pa.array(account[np.where(is_reply, linked, 0)]))
            text = pc.if_else(pa.array(is_reply), join("@", answered, " ", text), text)
        rows = _Rows(entity, account, created, topic, serial, text, reply_to=reply_to, quote_of=quote_of)
        return rows, ~is_reply & ~is_quote

    def cascades(self, originals: _Rows, top_level: np.ndarray) -> _Rows:
        """Retweets of X posts: ``RT @handle: text``, heavy-tailed cascade sizes, soon after."""
        rng = self.rng
        retweeted = top_level & (rng.random(len(originals)) < CASCADE_SHARE_X)
        sizes = np.where(retweeted, 1 + np.minimum(rng.pareto(CASCADE_PARETO, len(originals)) * 2, CASCADE_MAX), 0)
        source = np.repeat(np.arange(len(originals)), sizes.astype(np.int64))
        delay = rng.lognormal(np.log(1800), 1.2, len(source)).astype(np.int64)
        handles = self.accounts.handle.take(pa.array(originals.account[source]))
        return _Rows(
            entity=originals.entity[source],
            account=_popular(rng, self.accounts.organic, len(source)),
            created=originals.created[source] + delay,
            topic=originals.topic[source],
            serial=self.serials(len(source)),
            text=join("RT @", handles, ": ", originals.text.take(pa.array(source))),
            repost_of=native_ids(X, originals.serial[source]),
            silent=True,
        )

    def crossposts(self, platform: int, originals: _Rows, top_level: np.ndarray) -> dict[int, _Rows]:
        """The same person posting the same text on another English platform within hours."""
        rng = self.rng
        chosen = np.flatnonzero(top_level & (rng.random(len(originals)) < CROSSPOST_SHARE))
        others = [p for p in ENGLISH_PLATFORMS if p != platform]
        destination = np.array(others)[rng.integers(0, len(others), len(chosen))]
        copies = {}
        for other in others:
            picked = chosen[destination == other]
            copies[other] = _Rows(
                entity=originals.entity[picked],
                account=originals.account[picked],
                created=originals.created[picked] + rng.integers(1200, 6 * 3600, len(picked)),
                topic=originals.topic[picked],
                serial=self.serials(len(picked)),
                text=originals.text.take(pa.array(picked, type=pa.int64())),
            )
        return copies

    def bots(self) -> _Rows:
        """The bot farm's promotional spam on X, about every brand, around the clock."""
        rng = self.rng
        count = rng.poisson(BOT_SHARE * self.world.volume[:, self.t].sum())
        entity = _categorical(rng, np.broadcast_to(np.array(vocab.ENTITY_SHARE), (count, len(vocab.ENTITIES))))
        template = rng.integers(0, len(vocab.BOT_TEXTS), count)
        prefix = pa.array([text.split("{entity}")[0] for text in vocab.BOT_TEXTS]).take(pa.array(template))
        suffix = pa.array([text.split("{entity}")[1] for text in vocab.BOT_TEXTS]).take(pa.array(template))
        products = pa.array([names[2].removeprefix("the ") for names in vocab.ENTITY_NAMES]).take(pa.array(entity))
        return _Rows(
            entity=entity,
            account=rng.integers(self.accounts.bots.start, self.accounts.bots.stop, count),
            created=self.midnight + rng.integers(0, 86400, count),
            topic=np.full(count, vocab.TOPICS.index("price")),
            serial=self.serials(count),
            text=join(prefix, products, suffix),
        )

    def employees(self) -> _Rows:
        """Staff praising their own brand on X (more during the launch, with the brand's volume)."""
        rng = self.rng
        count = rng.poisson(EMPLOYEE_SHARE * self.world.volume[0, self.t])
        return _Rows(
            entity=np.zeros(count, dtype=np.int64),
            account=rng.integers(self.accounts.employees.start, self.accounts.employees.stop, count),
            created=self.times(X, count),
            topic=np.full(count, vocab.TOPICS.index("launch")),
            serial=self.serials(count),
            text=pa.array(vocab.EMPLOYEE_TEXTS).take(pa.array(rng.integers(0, len(vocab.EMPLOYEE_TEXTS), count))),
        )

    def campaign(self, number: int, plan: Campaign) -> _Rows:
        """Every campaign account posts a variant of the text within the campaign's hour."""
        accounts = np.array(self.accounts.campaigns[number])
        count = len(accounts)
        offset = int((plan.start - datetime(1970, 1, 1)).total_seconds())
        variants = pa.array(plan.variants).take(pa.array(np.arange(count) % len(plan.variants)))
        return _Rows(
            entity=np.full(count, vocab.ENTITIES.index(plan.entity)),
            account=accounts,
            created=offset + np.sort(self.rng.integers(0, 3600, count)),
            topic=np.full(count, vocab.TOPICS.index(plan.topic)),
            serial=self.serials(count),
            text=join(plan.text, variants),
        )

    def table(self, platform: int, rows: _Rows) -> pa.Table:
        """Format rows of one platform into canonical ``mentions`` columns."""
        rng, accounts, count = self.rng, self.accounts, len(rows)
        account = pa.array(rows.account)
        ids = native_ids(platform, rows.serial)
        author_ids = _author_ids(platform, rows.account)
        handles = accounts.handle.take(account)
        created = pa.array(rows.created * 1_000_000, pa.timestamp("us"))
        source = vocab.SOURCES[platform]
        likes, shares, comments, views = _engagement(rng, accounts.followers[rows.account], count, rows.silent)
        geos = vocab.GEOS[platform]
        columns = {
            "mention_id": pa.nulls(count, pa.string()),
            "platform": pa.repeat(pa.scalar(vocab.PLATFORMS[platform]), count),
            "native_id": ids,
            "entity": pa.array(vocab.ENTITIES).take(pa.array(rows.entity)),
            "author_id": author_ids,
            "author_handle": handles,
            "author_followers": pa.array(accounts.followers[rows.account]),
            "author_posts": pa.array(accounts.posts[rows.account]),
            "author_created_at": pa.array(accounts.created_at[rows.account].astype("datetime64[us]")),
            "created_at": created,
            "language": pa.repeat(pa.scalar(vocab.LANGUAGES[platform]), count),
            "text": rows.text,
            "url": _urls(platform, ids, handles, author_ids),
            "likes": pa.array(likes),
            "shares": pa.array(shares),
            "comments": pa.array(comments),
            "views": pa.array(views, mask=None if vocab.REPORTS_VIEWS[platform] and not rows.silent else np.ones(count, bool)),
            "reply_to": rows.reply_to if rows.reply_to is not None else pa.nulls(count, pa.string()),
            "quote_of": rows.quote_of if rows.quote_of is not None else pa.nulls(count, pa.string()),
            "repost_of": rows.repost_of if rows.repost_of is not None else pa.nulls(count, pa.string()),
            "geo": pa.array(geos).take(pa.array(rng.integers(0, len(geos), count))),
            "topic": pa.array(vocab.TOPICS).take(pa.array(rows.topic)),
            "source": pa.repeat(pa.scalar(source), count),
            "ingest_batch": join(f"{source}-", _dates(rows.created)),
        }
        return _complete(columns, count)

    def redeliveries(self, table: pa.Table) -> pa.Table:
        """Rows a vendor delivers again the next day: same platform and native id, later batch."""
        picked = np.flatnonzero(self.rng.random(table.num_rows) < REDELIVERED_SHARE)
        again = table.take(pa.array(picked, type=pa.int64()))
        next_day = again["created_at"].combine_chunks().cast(pa.int64()).to_numpy() // 1_000_000 + 86400
        batch = join(again["source"].combine_chunks(), "-", _dates(next_day))
        column = again.schema.get_field_index("ingest_batch")
        return again.set_column(column, again.schema.field(column), batch)


def _day(world: World, accounts: Accounts, day: date) -> pa.Table:
    draw = _Day(world, accounts, day)
    tables: list[pa.Table] = []
    copies: dict[int, list[_Rows]] = {p: [] for p in ENGLISH_PLATFORMS}
    for platform in range(len(vocab.PLATFORMS)):
        rows, top_level = draw.organic(platform)
        tables.append(draw.table(platform, rows))
        if platform == X:
            tables.append(draw.table(X, draw.cascades(rows, top_level)))
            tables.append(draw.table(X, draw.bots()))
            tables.append(draw.table(X, draw.employees()))
        if platform in ENGLISH_PLATFORMS:
            for other, moved in draw.crossposts(platform, rows, top_level).items():
                copies[other].append(moved)
    tables.extend(draw.table(other, _Rows.concat(moved)) for other, moved in copies.items())
    for number, plan in enumerate(CAMPAIGN_PLAN):
        if plan.start.date() == day:
            tables.append(draw.table(X, draw.campaign(number, plan)))
    delivered = pa.concat_tables(tables)
    everything = pa.concat_tables([delivered, draw.redeliveries(delivered)])
    created = everything["created_at"].combine_chunks().cast(pa.int64()).to_numpy()
    return everything.take(pa.array(np.argsort(created, kind="stable")))


def native_ids(platform: int, serial: np.ndarray) -> pa.StringArray:
    """Platform-style post ids: X snowflakes, Reddit ``t1_``/YouTube comment ids, Weibo and VK numbers."""
    match vocab.PLATFORMS[platform]:
        case "x":
            return decimal(1_800_000_000_000_000_000 + serial)
        case "reddit":
            return join("t1_", base36(serial, 8))
        case "youtube":
            return join("Ugx", base36(serial + 36**9, 10))
        case "weibo":
            return decimal(4_900_000_000_000_000 + serial)
        case _:
            return join("-51423_", decimal(serial))


def _author_ids(platform: int, account: np.ndarray) -> pa.StringArray:
    match vocab.PLATFORMS[platform]:
        case "reddit":
            return join("t2_", base36(account, 7))
        case "youtube":
            return join("UC", base36(account + 36**9, 10))
        case "weibo":
            return decimal(5_000_000_000 + account)
        case _:
            return decimal(1_000_000_000 + account)


def _urls(platform: int, ids: pa.Array, handles: pa.Array, author_ids: pa.Array) -> pa.StringArray:
    match vocab.PLATFORMS[platform]:
        case "x":
            return join("https://x.com/", handles, "/status/", ids)
        case "reddit":
            return join("https://www.reddit.com/r/RunningShoeGeeks/comments/", pc.utf8_slice_codeunits(ids, 3))
        case "youtube":
            return join("https://www.youtube.com/post/", ids)
        case "weibo":
            return join("https://weibo.com/", author_ids, "/", ids)
        case _:
            return join("https://vk.com/wall", ids)


def _dates(seconds: np.ndarray) -> pa.StringArray:
    """``YYYYMMDD`` of epoch seconds; a day's rows span a few dates, so format those once."""
    days, position = np.unique(seconds // 86400, return_inverse=True)
    formatted = [(date(1970, 1, 1) + timedelta(days=int(day))).strftime("%Y%m%d") for day in days]
    return pa.array(formatted, pa.string()).take(pa.array(position))


def _popular(rng: np.random.Generator, accounts: range, count: int) -> np.ndarray:
    """Authors with heavy-tailed activity: the first 1% of accounts write about a fifth of posts."""
    return accounts.start + (len(accounts) * rng.random(count) ** 3).astype(np.int64)


def _categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row of ``probabilities`` (rows sum to 1)."""
    cumulative = np.cumsum(probabilities, axis=-1)
    draws = rng.random(len(probabilities))[:, None]
    return np.minimum((draws > cumulative).sum(axis=-1), probabilities.shape[-1] - 1)


def _organic_text(
    rng: np.random.Generator, platform: int, entity: np.ndarray, polarity: np.ndarray, topic: np.ndarray
) -> pa.StringArray:
    language = vocab.LANGUAGES[platform]
    if language == "en":
        return _PHRASES_EN.compose(rng, entity, polarity, topic)
    phrases = vocab.PHRASES_ZH if language == "zh" else vocab.PHRASES_RU
    options = [phrases[p] for p in vocab.POLARITIES]
    flat = pa.array([text for texts in options for text in texts])
    starts = np.cumsum([0] + [len(texts) for texts in options])[:-1]
    counts = np.array([len(texts) for texts in options])
    picked = starts[polarity] + (rng.random(len(polarity)) * counts[polarity]).astype(np.int64)
    return join(pa.array(vocab.DISPLAY_NAMES).take(pa.array(entity)), " ", flat.take(pa.array(picked)))


class _EnglishPhrases:
    """Flattened English vocabulary so a text is four ``take``s and one join."""

    def __init__(self) -> None:
        phrases = [vocab.PHRASES_EN[p][t] for p in vocab.POLARITIES for t in range(len(vocab.TOPICS))]
        self.phrases = pa.array([text for group in phrases for text in group])
        self.phrase_start = np.cumsum([0] + [len(group) for group in phrases])[:-1].reshape(len(vocab.POLARITIES), -1)
        self.phrase_count = np.array([len(group) for group in phrases]).reshape(len(vocab.POLARITIES), -1)
        closers = [vocab.CLOSERS_EN[p] for p in vocab.POLARITIES]
        self.closers = pa.array([text for group in closers for text in group])
        self.closer_start = np.cumsum([0] + [len(group) for group in closers])[:-1]
        self.closer_count = np.array([len(group) for group in closers])
        self.openers = pa.array(vocab.OPENERS_EN)
        self.names = pa.array([name for names in vocab.ENTITY_NAMES for name in names])
        self.names_per_entity = len(vocab.ENTITY_NAMES[0])

    def compose(self, rng: np.random.Generator, entity: np.ndarray, polarity: np.ndarray, topic: np.ndarray) -> pa.StringArray:
        count = len(entity)
        phrase = self.phrase_start[polarity, topic] + (rng.random(count) * self.phrase_count[polarity, topic]).astype(np.int64)
        closer = self.closer_start[polarity] + (rng.random(count) * self.closer_count[polarity]).astype(np.int64)
        opener = rng.integers(0, len(self.openers), count)
        name = entity * self.names_per_entity + rng.integers(0, self.names_per_entity, count)
        return join(
            self.openers.take(pa.array(opener)),
            self.names.take(pa.array(name)),
            " ",
            self.phrases.take(pa.array(phrase)),
            self.closers.take(pa.array(closer)),
        )


_PHRASES_EN = _EnglishPhrases()


def _engagement(
    rng: np.random.Generator, followers: np.ndarray, count: int, silent: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Heavy-tailed likes, shares, comments and views that grow with the author's audience."""
    if silent:
        zeros = np.zeros(count, dtype=np.int64)
        return zeros, zeros, zeros, zeros
    reach = np.sqrt(followers + 10.0)
    likes = np.floor(reach * rng.lognormal(-1.0, 1.2, count) * (1.0 + rng.pareto(2.0, count)))
    shares = np.floor(likes * rng.lognormal(-2.3, 0.9, count))
    comments = np.floor(likes * rng.lognormal(-2.0, 0.8, count))
    views = np.floor((likes + 1.0) * rng.lognormal(3.5, 0.7, count))
    return likes.astype(np.int64), shares.astype(np.int64), comments.astype(np.int64), views.astype(np.int64)


def _complete(columns: dict[str, pa.Array], count: int) -> pa.Table:
    """Add the derived columns ingestion fills (null, flags False) and order as the schema says."""
    for field in MENTIONS_SCHEMA:
        if field.name not in columns:
            columns[field.name] = (
                pa.repeat(pa.scalar(False), count) if pa.types.is_boolean(field.type) else pa.nulls(count, field.type)
            )
    return pa.Table.from_arrays([columns[field.name] for field in MENTIONS_SCHEMA], schema=MENTIONS_SCHEMA)
