"""Parameters shared by the sample tests and their fixtures."""

#: Small enough to generate and score in seconds, large enough for weekly statistics to be stable.
SAMPLE = {"seed": 11, "mentions_per_day": 400}
