"""The canonical mention store schema, defined once with SQLAlchemy Core.

Every backend (DuckDB embedded, PostgreSQL, other SQLAlchemy warehouses) gets exactly these
tables; ingestion adapters normalise platform exports into ``mentions`` rows, and KPI measures
compile to queries against them. Bump ``SCHEMA_VERSION`` and add a migration step in
``kpigov.store.migrations`` whenever a table changes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

SCHEMA_VERSION = 7

metadata = MetaData()

#: One row per collected post, comment or reply that mentions a tracked entity.
mentions = Table(
    "mentions",
    metadata,
    Column("mention_id", String(64), nullable=False, comment="kpigov id: sha256(platform:native_id)[:32]"),
    Column("platform", String(16), nullable=False, comment="x | reddit | youtube | weibo | vk | vendor platform code"),
    Column("native_id", String(128), nullable=False, comment="id on the platform"),
    Column("entity", String(64), nullable=False, comment="tracked brand or competitor the mention is about"),
    Column("author_id", String(128), comment="platform account id"),
    Column("author_handle", String(256), comment="personal data"),
    Column("author_followers", BigInteger),
    Column("author_posts", BigInteger),
    Column("author_created_at", DateTime(timezone=False), comment="UTC"),
    Column("created_at", DateTime(timezone=False), nullable=False, comment="UTC, naive"),
    Column("language", String(16)),
    Column("text", Text, comment="user content"),
    Column("url", Text),
    Column("likes", BigInteger, nullable=False, default=0),
    Column("shares", BigInteger, nullable=False, default=0, comment="reposts / retweets"),
    Column("comments", BigInteger, nullable=False, default=0, comment="replies"),
    Column("views", BigInteger, comment="null when the platform does not report views"),
    Column("reply_to", String(128), comment="native id of the post replied to"),
    Column("quote_of", String(128), comment="native id of the quoted post"),
    Column("repost_of", String(128), comment="native id of the reposted original"),
    Column("geo", String(64)),
    Column("topic", String(64), comment="classified topic, used to cross-reference support tickets"),
    Column("source", String(64), nullable=False, comment="platform API or vendor (brandwatch, sprinklr, ...)"),
    Column("ingest_batch", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False, comment="sha256 of normalised text"),
    Column("sentiment_score", Double, comment="compound score in [-1, 1]"),
    Column("sentiment_label", String(8), comment="positive | neutral | negative"),
    Column("lexicon_fingerprint", String(64), comment="fingerprint of the lexicon that scored the row"),
    Column("duplicate_of", String(64), comment="mention_id this row collapses onto; null when canonical"),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("is_spam", Boolean, nullable=False, default=False),
    Column("is_employee", Boolean, nullable=False, default=False),
    Column("cib_cluster", String(64), comment="coordinated-inauthentic-behaviour cluster id"),
    Column("deleted_at_source", DateTime(timezone=False),
           comment="UTC; when the platform reported the post deleted (schema version 6); null while it exists"),
    # Spam split by what decides it (schema version 7): is_spam = coalesce(row_spam, is_spam) or link_spam.
    Column("has_link", Boolean,
           comment="the text holds a link (kpigov.ingest.accounts.contains_link); false without text"),
    Column("row_spam", Boolean,
           comment="is_spam as the row-level rules (handle patterns) set it; null: is_spam is all row-level"),
    Column("link_spam", Boolean,
           comment="the author account's max_link_ratio verdict over all its stored posts; null: not judged"),
)

# The key is enforced on PostgreSQL only. On DuckDB a PRIMARY KEY's ART index costs more than the
# whole rest of a bulk load, and ingestion never inserts an id already stored (its anti-join), so
# DuckDB stores built since this change have none; older ones keep theirs and stay correct.
mentions.append_constraint(PrimaryKeyConstraint("mention_id", name="mentions_pkey").ddl_if(dialect="postgresql"))

# Lookups made by deduplication and flagging on every ingest. PostgreSQL only: DuckDB answers them
# with hash joins over its column segments, and ART indexes would slow its bulk loads down.
for _name, *_columns in (
    ("ix_mentions_platform_native_id", "platform", "native_id"),
    ("ix_mentions_platform_repost_of", "platform", "repost_of"),
    ("ix_mentions_platform_quote_of", "platform", "quote_of"),
    ("ix_mentions_content_hash", "content_hash"),
    ("ix_mentions_ingest_batch", "ingest_batch"),
    ("ix_mentions_duplicate_of", "duplicate_of"),
    ("ix_mentions_platform_author_id", "platform", "author_id"),
):
    Index(_name, *(mentions.c[c] for c in _columns)).ddl_if(dialect="postgresql")

#: Rows an adapter could not normalise: kept with the reason, never silently dropped.
quarantine = Table(
    "quarantine",
    metadata,
    Column("ingest_batch", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
)

#: One row per ingest: what came in, what was kept, what was quarantined.
ingest_batches = Table(
    "ingest_batches",
    metadata,
    Column("ingest_batch", String(64), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("file_name", Text, comment="path as given to ingest (since schema version 2)"),
    Column("started_at", DateTime(timezone=False), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_loaded", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("rows_already_present", Integer, nullable=False),
)

#: Outcome series (weekly sales, support tickets by topic) that KPIs are judged against.
outcomes = Table(
    "outcomes",
    metadata,
    Column("series", String(64), primary_key=True, autoincrement=False),
    Column("period_start", Date, primary_key=True, autoincrement=False),
    Column("topic", String(64), primary_key=True, autoincrement=False, default=""),
    Column("value", Double, nullable=False),
)

# -- evaluation runs (schema version 3): written by kpigov.evaluate, one transaction per run ----

#: One row per ``kpigov evaluate`` run; a run that failed midway is kept with ``status = 'error'``.
runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("status", String(8), nullable=False, comment="ok | error"),
    Column("started_at", DateTime(timezone=False), nullable=False, comment="UTC"),
    Column("finished_at", DateTime(timezone=False), nullable=False, comment="UTC"),
    Column("manifest_fingerprint", String(64), nullable=False),
    Column("git_commit", String(40), comment="null outside a Git checkout"),
    Column("kpigov_version", String(32), nullable=False),
    Column("kpis", Text, nullable=False, comment="JSON list of the KPI ids evaluated, in evaluation order"),
    Column("quality", Text, comment="JSON: quality gate results per suite, with Great Expectations' own result"),
    Column("error", Text, comment="why the run failed; null when status = 'ok'"),
)

#: One row per KPI per successful run: the value and everything needed to trust or question it.
kpi_results = Table(
    "kpi_results",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("kpi_id", String(200), primary_key=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False, comment="inclusive last day"),
    Column("status", String(16), nullable=False, comment="ok | withheld | not_comparable | no_data | error"),
    Column("value", Double, comment="null unless status = 'ok' (or withheld with a computed value)"),
    Column("band", String(8), comment="green | amber | red; null without bands or value"),
    Column("baseline", Double),
    Column("change", Double, comment="value - baseline"),
    Column("reason", Text, comment="why the status is not 'ok'"),
    Column("detail", Text, nullable=False, comment="JSON: components, baseline periods, spikes, quality warnings"),
    Column("sql", Text, comment="the statement that computed the KPI's components (derived KPIs: the formula)"),
)

#: Alerts raised by runs, routed through an EscalationPolicy; delivery reads this outbox.
alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(32), primary_key=True),
    Column("run_id", String(32), nullable=False),
    Column("kpi_id", String(200), nullable=False),
    Column("trigger", String(32), nullable=False, comment="band_breach | spike | negative_cluster | withheld"),
    Column("policy", String(200), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("raised_at", DateTime(timezone=False), nullable=False, comment="UTC"),
    Column("payload", Text, nullable=False, comment="JSON: what happened and the routed tiers (teams, channels, times)"),
    Column("delivery", String(16), nullable=False, comment="pending | sent | failed"),
)

#: Manual decisions on KPI values held during a crisis: who decided what, and why.
overrides = Table(
    "overrides",
    metadata,
    Column("override_id", String(32), primary_key=True),
    Column("kpi_id", String(200), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("decision", String(16), nullable=False, comment="release | recalibrate"),
    Column("decided_by", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_at", DateTime(timezone=False), nullable=False, comment="UTC"),
)

# -- audit trail (schema version 4): written only by kpigov.lineage.audit, append-only ----------

#: Hash-chained audit entries: each row's ``hash`` covers all its fields and the previous row's hash.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False, comment="1, 2, 3, ... without gaps"),
    Column("recorded_at", DateTime(timezone=False), nullable=False, comment="UTC, naive, microseconds"),
    Column("kind", String(32), nullable=False, comment="evaluation_run | kpi_withheld | manual_override | ..."),
    Column("subject", String(256), nullable=False, comment="what the entry is about, e.g. a KPI id or run id"),
    Column("actor", String(128), nullable=False, comment="who or what caused it"),
    Column("payload", Text, nullable=False, comment="canonical JSON"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, comment="sha256 of the canonical serialisation, prev_hash included"),
)

#: Every N-th entry's hash, so verification can start from it and a truncated tail is detected.
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
)

# -- privacy budget (schema version 6): written only by kpigov.publish -----------------------

#: One row per noisy public release: the epsilon it spent from its KPI's budget for that period.
privacy_spend = Table(
    "privacy_spend",
    metadata,
    Column("release_id", String(32), primary_key=True),
    Column("kpi_id", String(200), nullable=False),
    Column("period_start", Date, nullable=False, comment="start of the privacy budget period"),
    Column("epsilon", Double, nullable=False),
    Column("mechanism", String(32), nullable=False, comment="discrete_laplace | discrete_gaussian"),
    Column("released_at", DateTime(timezone=False), nullable=False, comment="UTC"),
)

#: Store bookkeeping: the schema version this store was created or migrated to.
store_meta = Table(
    "kpigov_store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
