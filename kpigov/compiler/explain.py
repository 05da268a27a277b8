"""Questions answered from a compiled repository: what does a change impact, what does a KPI mean."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from kpigov.compiler.compiled import Compiled
from kpigov.compiler.stages import why


@dataclass(frozen=True)
class Impact:
    """A node downstream of the changed one, and the chain of edges that leads there."""

    ref: str
    path: tuple[tuple[str, str, str], ...]  # (parent, child, why) from the changed node

    @property
    def depth(self) -> int:
        return len(self.path)


def impact(compiled: Compiled, ref: str) -> list[Impact]:
    """Everything downstream of ``ref``, nearest first, each with one shortest chain of reasons."""
    compiled.node(ref)
    children: dict[str, list[str]] = {}
    for parent, child in compiled.edges:
        children.setdefault(parent, []).append(child)
    found: dict[str, tuple[tuple[str, str, str], ...]] = {ref: ()}
    queue = deque([ref])
    while queue:
        current = queue.popleft()
        for child in sorted(children.get(current, ())):
            if child not in found:
                found[child] = (*found[current], (current, child, why(compiled.edges[current, child])))
                queue.append(child)
    del found[ref]
    return sorted((Impact(r, p) for r, p in found.items()), key=lambda i: (i.depth, i.ref))


_MEASURES = {
    "count": "the number of mentions",
    "sentiment_adjusted_volume": "the number of {label} mentions",
    "weighted_score": "the engagement-weighted score ({aggregate} of mention x {weights})",
    "net_sentiment": "net sentiment, variant '{variant}' ({formula})",
    "share_of_voice": "the share of voice of {brand} against {competitors} on {platforms}, {start} to {end}",
    "derived": "the formula {formula}",
}
_VARIANTS = {"talkwalker": "(positive - negative) / (positive + negative)",
             "pct_diff": "%positive - %negative over all mentions", "brand_health": "positive / (positive + negative)"}


def _measure_text(measure: dict[str, Any]) -> str:
    kind = measure["type"]
    if kind == "weighted_score":
        weights = ", ".join(f"{k} {v:g}" for k, v in sorted(measure["weights"].items()) if v)
        return _MEASURES[kind].format(aggregate=measure["aggregate"], weights=weights)
    if kind == "net_sentiment":
        return _MEASURES[kind].format(variant=measure["variant"], formula=_VARIANTS[measure["variant"]])
    if kind == "share_of_voice":
        panel = measure["panel"]
        return _MEASURES[kind].format(brand=panel["brand"], competitors=", ".join(panel["competitors"]),
                                      platforms=", ".join(panel["platforms"]), start=panel["timeframe"]["start"],
                                      end=panel["timeframe"]["end"]) + f" (basis: {measure['basis']})"
    return _MEASURES[kind].format(**measure)


def _dedup_text(meaning: dict[str, Any]) -> list[str]:
    lines = [f"reposts {'collapsed into the original' if meaning['reposts'] == 'collapse' else 'counted'}",
             f"quotes {'collapsed' if meaning['quotes'] == 'collapse' else 'counted'}"]
    if meaning.get("cross_platform"):
        lines.append(f"the same text on several platforms within {meaning['cross_platform']['window']} counts once")
    bots = meaning.get("bots")
    if bots:
        rules = [f"at most {bots['max_followers']} followers" if bots.get("max_followers") is not None else "",
                 f"more than {bots['max_posts']} posts" if bots.get("max_posts") is not None else "",
                 f"accounts younger than {bots['min_account_age']}" if bots.get("min_account_age") else "",
                 f"handles matching {', '.join(bots['handle_patterns'])}" if bots.get("handle_patterns") else ""]
        lines.append("bot/spam accounts flagged: " + "; ".join(r for r in rules if r))
    if meaning.get("coordination"):
        c = meaning["coordination"]
        lines.append(f"coordinated campaigns flagged: {c['min_accounts']}+ accounts posting near-identical text "
                     f"(similarity >= {c['min_similarity']}) within {c['window']}")
    if meaning.get("employees"):
        lines.append("employee accounts flagged")
    return lines


def explain(compiled: Compiled, ref: str) -> str:
    """The KPI in plain words: what it counts, what is excluded, sentiment rule, baseline, who is alerted."""
    node = compiled.node(ref)
    if node.kind != "KPI":
        raise ValueError(f"'{ref}' is a {node.kind}; explain describes KPIs")
    m, meta = node.meaning, node.metadata
    lines = [f"{node.id} (version {node.version}, {m['status']}, {m['perspective']} perspective, {m['indicator']} indicator)"]
    if meta.get("description"):
        lines.append(f"  {meta['description']}")
    lines.append(f"What it counts: {_measure_text(m['measure'])}, {m['frequency']}"
                 + (f", from {m['source']}" if m.get("source") else "") + ".")
    lines.append("What counts: " + (f"mentions where {m['filter']}" if m.get("filter") else "every mention of the source")
                 + ".")
    if m.get("dedup") and m["dedup"] in compiled.nodes:
        lines.append(f"What is excluded ({m['dedup']}): " + "; ".join(_dedup_text(compiled.node(m["dedup"]).meaning)) + ".")
    if m.get("sentiment"):
        s = m["sentiment"]
        lines.append(f"Sentiment rule: lexicon {s['lexicon']}; positive at compound >= {s['positive_at']}, "
                     f"negative at <= {s['negative_at']}.")
    if m.get("baseline"):
        b = m["baseline"]
        text = f"Baseline: the trailing {b['window']}" + (", same weekday" if b["seasonality"] == "weekly" else "")
        if b.get("exclude_events"):
            text += f", {'leaving out' if b['event_mode'] == 'exclude' else 'separating'} the events of {b['exclude_events']}"
        lines.append(text + ".")
    if m.get("bands"):
        lines.append(f"Bands: green {m['bands']['green']}, amber {m['bands']['amber']}, red {m['bands']['red']} "
                     f"({m['polarity'].replace('_', ' ')}).")
    escalation = m.get("escalation")
    if escalation and escalation in compiled.nodes:
        tiers = compiled.node(escalation).meaning["tiers"]
        alerted = "; then ".join(f"tier {t['level']}: {t['team']} via {t['channel']} (next tier after {t['escalate_after']} "
                                 "unacknowledged)" if i < len(tiers) - 1 else f"tier {t['level']}: {t['team']} via {t['channel']}"
                                 for i, t in enumerate(tiers))
        lines.append(f"Who is alerted ({escalation}): {alerted}.")
    else:
        lines.append("Who is alerted: nobody (no escalation policy).")
    if m.get("quality_gates"):
        lines.append(f"Withheld when these quality gates fail: {', '.join(m['quality_gates'])}.")
    if m.get("publication") == "public" and m.get("privacy"):
        p = m["privacy"]
        lines.append(f"Published with differential privacy: {p['mechanism']}, epsilon {p['epsilon']} per release, "
                     f"budget {p['budget_per_period']} per {p['period']}.")
    for note in meta.get("footnotes", []):
        lines.append(f"Note: {note}")
    return "\n".join(lines)


__all__ = ["Impact", "impact", "explain"]
