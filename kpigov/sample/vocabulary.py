"""The words the sample world is written in: brands, topics, text templates, account names.

Every English phrase is chosen so that VADER with the example repository's domain lexicon
(``policies/lexicon.yaml``, the one source of sentiment terms) labels it with the polarity it is
filed under, whatever opener and closer surround it (a test checks every combination). Chinese and Russian phrases are real sentiment that VADER cannot read: they score
0, which is the bias ``kpigov.sentiment.bias_audit`` exists to expose.
"""

from __future__ import annotations

from typing import Final

#: Entity ids as the example repository declares them (``kpigov.yaml`` ``spec.entities``): the
#: values of the ``entity`` column that KPI filters compare with.
BRAND: Final = "stridewell"
COMPETITORS: Final = ("apexrun", "kinetiq", "volta")
ENTITIES: Final = (BRAND, *COMPETITORS)
#: Share of organic mention volume per entity (same order as ENTITIES).
ENTITY_SHARE: Final = (0.40, 0.25, 0.20, 0.15)
#: How each entity is referred to in a text (same order as ENTITIES).
ENTITY_NAMES: Final = (
    ("Stridewell", "@stridewell", "the Stridewell Aero 2", "my Stridewell Pacer", "#Stridewell"),
    ("Apexrun", "@apexrun", "the Apexrun Vortex", "my Apexrun Vortex", "#Apexrun"),
    ("Kinetiq", "@kinetiq", "the Kinetiq Flux", "my Kinetiq Flux", "#Kinetiq"),
    ("Volta", "@voltarun", "the Volta Surge", "my Volta Surge", "#Volta"),
)
#: Display names (same order as ENTITIES), as texts write them.
DISPLAY_NAMES: Final = tuple(names[0] for names in ENTITY_NAMES)

PLATFORMS: Final = ("x", "reddit", "youtube", "weibo", "vk")
PLATFORM_SHARE: Final = (0.42, 0.20, 0.16, 0.13, 0.09)
#: Platforms whose exports carry a view count; the others leave ``views`` null.
REPORTS_VIEWS: Final = (True, False, True, False, True)
#: Where each platform's rows come from: its own API or a social-listening vendor.
SOURCES: Final = ("brandwatch", "reddit_api", "youtube_api", "sprinklr", "sprinklr")
#: Language of the platform's organic posts, and the countries they are posted from.
LANGUAGES: Final = ("en", "en", "en", "zh", "ru")
GEOS: Final = (
    ("US", "US", "US", "GB", "CA", "AU", "DE"),
    ("US", "US", "GB", "CA", "AU"),
    ("US", "GB", "IN", "CA", "DE", "BR"),
    ("CN",),
    ("RU", "RU", "BY", "KZ"),
)

TOPICS: Final = ("sizing", "delivery", "durability", "price", "design", "customer_service", "launch")
POLARITIES: Final = ("positive", "neutral", "negative")

#: English phrases per polarity and topic (TOPICS order).
PHRASES_EN: Final = {
    "positive": (
        ("fits perfect, true to size", "sizing is spot on, love the fit"),
        ("arrived in two days, great service", "fast shipping and perfect packaging"),
        ("still comfortable after 500 miles, great quality", "these are sick, built to last"),
        ("great value for the price", "worth every penny, love them"),
        ("these are sick", "the colorway is fire", "clean design, love the look"),
        ("support team was super helpful, thanks", "great customer service, problem solved"),
        ("the drop was fire, so happy I got a pair", "launch day pickup, these are heat"),
    ),
    "neutral": (
        ("what size should I get", "do they run big or small"),
        ("order shipped, tracking says Friday", "anyone know the shipping time to Canada"),
        ("how many miles do you get out of them", "sole check after 300 km"),
        ("price is 140 here", "is the sale still on"),
        ("new colorway announced for spring", "which colorway should I get"),
        ("emailed them about an exchange", "is there a phone line for returns"),
        ("release date is on the site", "anyone queueing for the release"),
    ),
    "negative": (
        ("runs small, had to return them, annoying", "sizing is terrible, way too tight"),
        ("order still not here after two weeks, terrible", "package lost, no refund yet, awful"),
        ("sole separated after a month, total bricks", "the sole fell apart mid run, dangerous and disappointing"),
        ("way overpriced, poor quality", "ridiculous price for this quality, sad"),
        ("ugly colorway, these are bricks", "so mid, boring design"),
        ("support ignored me for a week, awful service", "worst customer service ever, so frustrating"),
        ("site crashed during the drop, so frustrating", "launch was a mess, bots got everything, hate it"),
    ),
}
OPENERS_EN: Final = ("", "ngl ", "update: ", "re: ")
#: Closers per polarity: each keeps the polarity of the phrase it ends (emoji are scored too).
CLOSERS_EN: Final = {
    "positive": ("", "!", "!!", " 🔥", " lol", " #running"),
    "neutral": ("", "?", " #running", " #sneakers"),
    "negative": ("", "!", " 😡", " smh", " #running"),
}

#: Chinese (Weibo) and Russian (VK) phrases per polarity; topics are not distinguished.
PHRASES_ZH: Final = {
    "positive": ("这双鞋太好看了", "穿着很舒服，推荐", "质量很好，物超所值"),
    "neutral": ("请问尺码偏大还是偏小", "什么时候补货", "今天下单了"),
    "negative": ("鞋底开胶了，太失望", "质量太差，再也不买了", "客服不回复，很生气"),
}
PHRASES_RU: Final = {
    "positive": ("отличные кроссовки, очень удобные", "качество супер, рекомендую", "лучшие кроссовки для бега"),
    "neutral": ("какой размер брать", "когда будет поставка", "заказал сегодня"),
    "negative": ("подошва отклеилась через месяц", "ужасное качество, больше не куплю", "поддержка не отвечает"),
}

#: Bot farm spam: promotional texts posted by accounts with handles like ``promo_deals_1234``.
BOT_HANDLE_STEMS: Final = ("promo_deals_", "best_kicks_", "sneaker_sale_", "cheap_runs_")
BOT_TEXTS: Final = (
    "50% OFF {entity} today only, link in bio",
    "{entity} clearance sale, free shipping, click the link",
    "Get {entity} for less, limited offer, DM for codes",
)

#: Employees who post about their own brand (their handles say so).
EMPLOYEE_HANDLES: Final = (
    "stridewell_jane", "stridewell_omar", "stridewell_li", "stridewell_kate",
    "sw_team_marcus", "sw_team_priya", "sw_team_support", "sw_team_design",
)  # fmt: skip
EMPLOYEE_TEXTS: Final = (
    "So proud of the team behind the Stridewell Aero 2, these are fire",
    "Come try the Stridewell Aero 2 at our store this weekend, you will love them",
    "Behind the scenes at Stridewell: great people making great shoes",
)

#: Words organic handles are made of (``swift_runner42``).
HANDLE_WORDS: Final = (
    "swift", "trail", "road", "miles", "pace", "tempo", "urban", "sunny", "night", "river",
    "coast", "north", "happy", "steady", "lucky", "quiet", "metro", "alpine", "city", "sprint",
)  # fmt: skip
HANDLE_NOUNS: Final = (
    "runner", "jogger", "kicks", "sole", "strider", "racer", "walker", "collector", "fan", "coach",
    "legs", "feet", "hiker", "sneakerhead", "athlete", "dad", "mom", "student", "nerd", "rider",
)  # fmt: skip
