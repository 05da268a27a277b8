"""Data shared by the sentiment tests: the VADER ground truth and a sneaker brand's lexicon."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GROUND_TRUTH = SHARED_DATA / "vader-groundtruth" / "tweets_GroundTruth.txt"

#: A sneaker brand's lexicon: slang praise, a product "drop", and "bricks" (ugly, unwearable shoes).
SNEAKER_OVERRIDES = {"sick": 2.0, "fire": 2.2, "drop": 0.3, "bricks": -2.0}


@dataclass(frozen=True)
class RatedTweets:
    """Hutto & Gilbert's 4,200 tweets with their mean human rating on a -4..+4 scale."""

    texts: list[str]
    ratings: list[float]


def read_rated_tweets(path: Path = GROUND_TRUTH) -> RatedTweets:
    # SOURCE.txt says ASCII, but a few rows carry UTF-8 bytes.
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]
    return RatedTweets(texts=[row[2] for row in rows], ratings=[float(row[1]) for row in rows])
