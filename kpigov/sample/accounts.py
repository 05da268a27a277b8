"""Who posts in the sample world: organic people, a bot farm, employees and campaign accounts.

Accounts are numbered; every attribute is an array indexed by that number, so a mention's
author columns are a single ``take``. One person keeps one handle on every platform, which is
how cross-posted duplicates look in real exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpigov.sample import vocabulary as vocab

BOT_ACCOUNTS = 320
#: Accounts per coordinated campaign; more than the 30 a CIB detector is expected to need.
CAMPAIGN_ACCOUNTS = 42
_EARLIEST_ACCOUNT = datetime(2008, 1, 1)


@dataclass(frozen=True, slots=True)
class Accounts:
    """All accounts; ``organic``, ``bots``, ``employees`` and ``campaigns[i]`` are number ranges."""

    handle: pa.StringArray
    followers: np.ndarray
    posts: np.ndarray
    created_at: np.ndarray  # datetime64[s]
    organic: range
    bots: range
    employees: range
    campaigns: tuple[range, ...]


def build_accounts(seed: int, start: date, organic: int, campaign_count: int) -> Accounts:
    """``organic`` people plus the planted bot farm, employees and each campaign's accounts."""
    rng = np.random.default_rng([seed, 3])
    bots = range(organic, organic + BOT_ACCOUNTS)
    employees = range(bots.stop, bots.stop + len(vocab.EMPLOYEE_HANDLES))
    campaigns = tuple(
        range(employees.stop + i * CAMPAIGN_ACCOUNTS, employees.stop + (i + 1) * CAMPAIGN_ACCOUNTS) for i in range(campaign_count)
    )
    first_post = np.datetime64(datetime.combine(start, datetime.min.time()), "s")

    people = _organic_handles(np.arange(organic))
    followers = np.minimum(rng.lognormal(np.log(250), 1.5, organic), 5e7)
    posts = rng.lognormal(np.log(1500), 1.3, organic)
    span = (first_post - np.datetime64(_EARLIEST_ACCOUNT, "s")).astype(np.int64) - 30 * 86400
    created = np.datetime64(_EARLIEST_ACCOUNT, "s") + rng.integers(0, span, organic).astype("timedelta64[s]")

    # The bot farm: tiny audiences or inhuman post counts, all created shortly before the period.
    bot_numbers = np.arange(BOT_ACCOUNTS)
    stems = pa.array(vocab.BOT_HANDLE_STEMS).take(pa.array(bot_numbers % len(vocab.BOT_HANDLE_STEMS)))
    bot_handles = pc.binary_join_element_wise(stems, pc.cast(pa.array(1000 + bot_numbers * 7 % 9000), pa.string()), "")
    tiny_audience = rng.random(BOT_ACCOUNTS) < 0.7
    bot_followers = np.where(tiny_audience, rng.integers(0, 26, BOT_ACCOUNTS), rng.integers(26, 400, BOT_ACCOUNTS))
    bot_posts = np.where(tiny_audience, rng.integers(5, 5000, BOT_ACCOUNTS), rng.integers(30_001, 250_000, BOT_ACCOUNTS))
    bot_created = first_post - rng.integers(86400, 120 * 86400, BOT_ACCOUNTS).astype("timedelta64[s]")

    staff = len(vocab.EMPLOYEE_HANDLES)
    staff_followers = rng.integers(300, 3000, staff)
    staff_posts = rng.integers(200, 4000, staff)
    staff_created = np.datetime64("2016-01-01T00:00:00") + rng.integers(0, 6 * 365 * 86400, staff).astype("timedelta64[s]")

    # Campaign accounts look organic (ordinary handles, modest audiences) but are all weeks old.
    sockpuppets = campaign_count * CAMPAIGN_ACCOUNTS
    puppet_handles = _organic_handles(np.arange(sockpuppets) + 7_000_000)
    puppet_followers = rng.integers(20, 400, sockpuppets)
    puppet_posts = rng.integers(10, 300, sockpuppets)
    puppet_created = first_post - rng.integers(86400, 40 * 86400, sockpuppets).astype("timedelta64[s]")

    return Accounts(
        handle=pa.concat_arrays([people, bot_handles, pa.array(vocab.EMPLOYEE_HANDLES), puppet_handles]),
        followers=np.concatenate([followers, bot_followers, staff_followers, puppet_followers]).astype(np.int64),
        posts=np.concatenate([posts, bot_posts, staff_posts, puppet_posts]).astype(np.int64),
        created_at=np.concatenate([created, bot_created, staff_created, puppet_created]),
        organic=range(organic),
        bots=bots,
        employees=employees,
        campaigns=campaigns,
    )


def _organic_handles(numbers: np.ndarray) -> pa.StringArray:
    """Distinct handles such as ``swift_runner42``: word, noun and a number, all from ``numbers``."""
    words, nouns = len(vocab.HANDLE_WORDS), len(vocab.HANDLE_NOUNS)
    word = pa.array(vocab.HANDLE_WORDS).take(pa.array(numbers % words))
    noun = pa.array([f"_{noun}" for noun in vocab.HANDLE_NOUNS]).take(pa.array(numbers // words % nouns))
    suffix = pc.cast(pa.array(numbers // (words * nouns)), pa.string())
    return pc.binary_join_element_wise(word, noun, suffix, "")

