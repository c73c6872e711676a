"""Static facts the generator draws from: devices, countries, currencies, items, content.

Weights are rough shares seen in mobile-game telemetry; they only need to look plausible.
Currencies come from the rate table the warehouse uses (`emr_jobs/data/currencies.csv`), so
every currency a valid purchase carries is one the pipeline knows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Device:
    platform: str
    os_version: str
    manufacturer: str
    model: str
    sdk_version: str


# (manufacturer, model, weight) by platform; os versions as GameAnalytics writes them.
IOS_MODELS = (
    ("apple", "iPhone14,5", 9),  # iPhone 13
    ("apple", "iPhone14,7", 8),  # iPhone 14
    ("apple", "iPhone15,2", 7),  # iPhone 14 Pro
    ("apple", "iPhone15,4", 8),  # iPhone 15
    ("apple", "iPhone16,2", 6),  # iPhone 15 Pro Max
    ("apple", "iPhone13,2", 6),  # iPhone 12
    ("apple", "iPhone12,1", 5),  # iPhone 11
    ("apple", "iPhone17,3", 4),  # iPhone 16
    ("apple", "iPad13,18", 3),
    ("apple", "iPad14,1", 2),
)
IOS_VERSIONS = (
    ("ios 17.5.1", 14),
    ("ios 17.6.1", 12),
    ("ios 18.0", 10),
    ("ios 18.1.1", 16),
    ("ios 18.3.2", 18),
    ("ios 16.7.10", 7),
    ("ios 15.8.3", 3),
)
ANDROID_MODELS = (
    ("samsung", "SM-A155F", 9),
    ("samsung", "SM-S921B", 6),
    ("samsung", "SM-A546B", 7),
    ("samsung", "SM-G991B", 4),
    ("xiaomi", "23129RAA4G", 6),
    ("xiaomi", "2201117TY", 5),
    ("oppo", "CPH2591", 4),
    ("vivo", "V2250", 4),
    ("google", "Pixel 8", 3),
    ("google", "Pixel 7a", 3),
    ("motorola", "moto g54 5G", 3),
    ("oneplus", "CPH2449", 2),
    ("huawei", "ELS-NX9", 2),
    ("realme", "RMX3830", 3),
)
ANDROID_VERSIONS = (
    ("android 14", 30),
    ("android 13", 24),
    ("android 12", 14),
    ("android 15", 12),
    ("android 11", 10),
    ("android 10", 6),
    ("android 9", 4),
)
SDK_VERSIONS = (("unity 7.8.0", 50), ("unity 7.9.1", 30), ("unity 7.7.3", 20))
ANDROID_SHARE = 0.62
CONNECTION_TYPES = (("wifi", 62), ("wwan", 34), ("lan", 1), ("offline", 3))

# country, weight, UTC offset in hours (for local-time session peaks), currency, iOS share
COUNTRIES = (
    ("US", 22, -6, "USD", 0.58),
    ("BR", 8, -3, "BRL", 0.15),
    ("IN", 8, 5, "INR", 0.05),
    ("DE", 6, 1, "EUR", 0.40),
    ("GB", 5, 0, "GBP", 0.52),
    ("FR", 4, 1, "EUR", 0.40),
    ("JP", 5, 9, "JPY", 0.68),
    ("KR", 3, 9, "KRW", 0.30),
    ("MX", 4, -6, "MXN", 0.22),
    ("RU", 4, 3, "RUB", 0.25),
    ("ID", 4, 7, "IDR", 0.10),
    ("TR", 3, 3, "TRY", 0.18),
    ("CA", 3, -5, "CAD", 0.55),
    ("AU", 2, 10, "AUD", 0.55),
    ("ES", 2, 1, "EUR", 0.30),
    ("IT", 2, 1, "EUR", 0.32),
    ("PL", 2, 1, "PLN", 0.25),
    ("SE", 1, 1, "SEK", 0.50),
    ("NO", 1, 1, "NOK", 0.55),
    ("DK", 1, 1, "DKK", 0.55),
    ("CH", 1, 1, "CHF", 0.60),
    ("NL", 2, 1, "EUR", 0.45),
    ("CN", 2, 8, "CNY", 0.35),
    ("VN", 2, 7, "VND", 0.20),
    ("CL", 1, -4, "CLP", 0.20),
    ("KW", 1, 3, "KWD", 0.60),
    ("BH", 1, 3, "BHD", 0.60),
    ("PH", 2, 8, "USD", 0.15),
)

ORIGINS = (
    ("organic", 55),
    ("applovin", 12),
    ("unityads", 9),
    ("facebook", 8),
    ("google_ads", 8),
    ("ironsource", 5),
    ("tiktok", 3),
)

# Local hour of day -> relative chance a session starts then (evening peak).
HOUR_WEIGHTS = (
    2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 7, 7, 8, 9, 11, 13, 14, 12, 8, 4,
)  # fmt: skip

# Store price points in USD; a purchase picks a tier, whales pick higher tiers.
PRICE_TIERS_USD = (0.99, 1.99, 4.99, 9.99, 19.99, 49.99, 99.99)
ITEMS = (
    ("gems", "gems_pack_small"),
    ("gems", "gems_pack_medium"),
    ("gems", "gems_pack_large"),
    ("gems", "gems_chest"),
    ("bundle", "starter_pack"),
    ("bundle", "weekend_deal"),
    ("bundle", "season_pass"),
    ("subscription", "vip_monthly"),
    ("booster", "energy_refill"),
    ("cosmetic", "hero_skin_dragon"),
)
CART_TYPES = ("shop", "offer_popup", "level_end", "starter_offer")

WORLDS = tuple(f"world_{w:02d}" for w in range(1, 9))
LEVELS_PER_WORLD = 20
RESOURCE_FLOWS = (
    ("Source", "Gold", "Reward", "LevelComplete"),
    ("Source", "Gold", "Reward", "DailyBonus"),
    ("Source", "Gems", "Purchase", "Shop"),
    ("Source", "Energy", "Regen", "Timer"),
    ("Sink", "Gold", "Upgrade", "Hero"),
    ("Sink", "Gems", "Booster", "ExtraMoves"),
    ("Sink", "Energy", "Play", "Level"),
    ("Sink", "Gems", "Continue", "Revive"),
)
DESIGN_EVENTS = (
    "Tutorial:Step:01",
    "Tutorial:Step:02",
    "Tutorial:Step:03",
    "Tutorial:Complete",
    "UI:Button:Settings",
    "UI:Button:Shop",
    "UI:Button:Inventory",
    "Social:Invite:Sent",
    "Social:Gift:Claimed",
    "Quest:Daily:Complete",
    "Hero:Upgrade:Level",
    "Performance:FPS:Average",
)
ERROR_MESSAGES = (
    ("warning", "Asset bundle download slow: remote_config.json"),
    ("error", "NullReferenceException: Object reference not set to an instance of an object"),
    ("error", "HTTP 503 from leaderboard service"),
    ("critical", "OutOfMemory: texture atlas allocation failed"),
    ("info", "Ad SDK initialised late"),
    ("debug", "Save game migrated to schema 7"),
)
AD_ACTIONS = (("show", 55), ("clicked", 6), ("rewardreceived", 30), ("failedshow", 9))
AD_TYPES = ("rewarded_video", "interstitial", "banner")
AD_PLACEMENTS = ("level_end", "shop_free_gems", "revive", "daily_bonus")

# Currencies that are *not* in the rate table, for the unknown-currency fault.
UNKNOWN_CURRENCIES = ("XXX", "BTC", "ZZZ", "XAU", "ABC", "GEM")
# Categories outside the contract, for the unknown-category fault.
UNKNOWN_CATEGORIES = ("purchase", "login", "install", "crash", "custom", "achievement")


@dataclass(frozen=True)
class Currency:
    code: str
    minor_digits: int
    usd_per_unit: float


def load_currencies() -> dict[str, Currency]:
    """The shipped rate table (`emr_jobs/data/currencies.csv`), keyed by ISO code."""
    text = resources.files("emr_jobs").joinpath("data/currencies.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#"))
    out: dict[str, Currency] = {}
    for row in rows:
        code = row["code"].strip()
        out[code] = Currency(code, int(row["minor_digits"]), float(row["usd_per_unit"]))
    if not out:
        raise ValueError("emr_jobs/data/currencies.csv has no currencies")
    return out


def local_price_minor(usd: float, currency: Currency) -> int:
    """A store-like local price in minor units for a USD price point (e.g. 4.99 USD -> 459 EUR
    cents, 750 JPY): converted, then rounded to a price a store would show."""
    units = usd / currency.usd_per_unit
    minor = units * 10**currency.minor_digits
    if minor >= 100_000:
        step = 1000
    elif minor >= 10_000:
        step = 100
    elif minor >= 1_000:
        step = 10
    else:
        step = 1
    rounded = max(step, round(minor / step) * step)
    if currency.minor_digits == 2 and step == 1:
        rounded = max(9, (rounded // 10) * 10 + 9)  # x.x9 as stores price
    return int(rounded)
