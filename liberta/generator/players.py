"""Players and their play plan: install time, retention, sessions, purchases.

Everything here is decided up front from one seeded `random.Random`, before any event is
written: who the players are, on which days they come back, how many sessions they play and
how many events each session holds (so the total is exactly the requested number), and
which session slots are purchases.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate

from liberta.generator import catalog
from liberta.generator.config import GeneratorConfig

DAY = 86_400
# Sessions never start in the last 3 h of the window and last at most 2 h, so every event
# arrives inside the window (offline uploads are capped at its end).
LAST_START_MARGIN = 3 * 3600
MAX_SESSION_LENGTH = 2 * 3600
TARGET_EVENTS_PER_SESSION = 24
MAX_SESSIONS_PER_DAY = 16


class Weighted:
    """Fast weighted choice from a fixed table (cumulative weights + bisect)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: tuple[tuple[object, float], ...] | list[tuple[object, float]]):
        self.items = [item for item, _ in pairs]
        self.cum = list(accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> object:
        return self.items[bisect(self.cum, rng.random() * self.total)]


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng` (deterministic, unlike uuid.uuid4)."""
    h = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def geometric(rng: random.Random, mean: float) -> int:
    """Number of failures before a success, with the given mean (0, 1, 2, ...)."""
    if mean <= 0:
        return 0
    p = 1.0 / (1.0 + mean)
    return int(math.log(1.0 - rng.random()) / math.log(1.0 - p))


class Player:
    """One player: identity, device, acquisition, engagement, and running state."""

    __slots__ = (
        "active_days",
        "build_lag_days",
        "clock_skew",
        "country",
        "currency",
        "dev_json",
        "engagement",
        "first_build_idx",
        "first_pay_event_ts",
        "idx",
        "install_ts",
        "is_payer_target",
        "last_end",
        "level",
        "meta_prefix",
        "meta_state",
        "paid_minor",
        "pay_ft",
        "purchases",
        "sessions_played",
        "top_json",
        "user_id",
        "whale",
    )

    def __init__(self) -> None:
        self.sessions_played = 0
        self.last_end = 0
        self.paid_minor: dict[str, int] = {}
        self.pay_ft: int | None = None
        self.meta_state = ""
        self.level = 0
        self.purchases = 0
        self.first_pay_event_ts: int | None = None


@dataclass(frozen=True)
class World:
    """Precomputed tables shared by the plan and the renderer."""

    config: GeneratorConfig
    currencies: dict[str, catalog.Currency]
    build_release_days: tuple[int, ...]  # day offsets (from window start) of each build
    builds: tuple[str, ...]


def make_world(config: GeneratorConfig) -> World:
    currencies = catalog.load_currencies()
    # A release every 10 days, starting 60 days before the window so early players have a
    # history of builds; version numbers are what a store shows.
    offsets = tuple(range(-60, config.days + 1, 10))
    builds = tuple(f"1.{4 + i // 10}.{i % 10}" for i in range(len(offsets)))
    return World(config, currencies, offsets, builds)


def _build_index_at(world: World, day_offset: float) -> int:
    return max(0, bisect(world.build_release_days, day_offset) - 1)


def build_at(world: World, player: Player, ts: int) -> str:
    """The app build a player runs at `ts`: the latest release, installed with a lag."""
    day = (ts - world.config.window_start_ts) / DAY - player.build_lag_days
    return world.builds[max(player.first_build_idx, _build_index_at(world, day))]


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def make_players(world: World, rng: random.Random) -> list[Player]:
    cfg = world.config
    countries = Weighted([(c, c[1]) for c in catalog.COUNTRIES])
    ios_models = Weighted([((m, d), w) for m, d, w in catalog.IOS_MODELS])
    android_models = Weighted([((m, d), w) for m, d, w in catalog.ANDROID_MODELS])
    ios_versions = Weighted(list(catalog.IOS_VERSIONS))
    android_versions = Weighted(list(catalog.ANDROID_VERSIONS))
    sdks = Weighted(list(catalog.SDK_VERSIONS))
    origins = Weighted(list(catalog.ORIGINS))
    hours = Weighted(list(enumerate(catalog.HOUR_WEIGHTS)))
    # installs per day: weekends bring ~25 % more
    day_weights = Weighted(
        [
            (d, 1.25 if (cfg.start_date.toordinal() + d) % 7 in (0, 6) else 1.0)
            for d in range(cfg.days)
        ]
    )
    ws, we = cfg.window_start_ts, cfg.window_end_ts
    fallback_currency = "USD" if "USD" in world.currencies else next(iter(world.currencies))

    players: list[Player] = []
    for idx in range(cfg.players):
        p = Player()
        p.idx = idx
        code, _, tz, currency, ios_share = countries.pick(rng)  # type: ignore[misc]
        p.country = code
        p.currency = currency if currency in world.currencies else fallback_currency
        ios = rng.random() < ios_share
        if ios:
            manufacturer, model = ios_models.pick(rng)  # type: ignore[misc]
            os_version = ios_versions.pick(rng)
            p.user_id = random_uuid(rng).upper()
            flags = f'"jailbroken":{"true" if rng.random() < 0.004 else "false"},'
        else:
            manufacturer, model = android_models.pick(rng)  # type: ignore[misc]
            os_version = android_versions.pick(rng)
            p.user_id = random_uuid(rng)
            flags = f'"android_id":"{_hex(rng, 16)}",'
        flags += f'"limited_ad_tracking":{"true" if rng.random() < 0.18 else "false"}'
        platform = "ios" if ios else "android"
        p.dev_json = (
            f'"platform":"{platform}","os_version":"{os_version}",'
            f'"manufacturer":"{manufacturer}","device":"{model}",'
            f'"sdk_version":"{sdks.pick(rng)}",{flags}'
        )
        ip = ""
        if rng.random() < 0.85:
            ip = f',"ip":"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.0"'
        p.top_json = f'"country_code":"{code}","game_id":{cfg.game_id}{ip}'

        day = day_weights.pick(rng)
        local_hour = hours.pick(rng)
        install = ws + day * DAY + ((local_hour - tz) % 24) * 3600 + rng.randrange(3600)  # type: ignore[operator]
        p.install_ts = min(install, we - LAST_START_MARGIN - rng.randrange(3600))
        p.first_build_idx = _build_index_at(world, (p.install_ts - ws) / DAY)
        p.build_lag_days = rng.choice((0, 0, 1, 2, 3, 5, 9))
        p.clock_skew = 0 if rng.random() < 0.9 else rng.randint(-300, 300)
        origin = origins.pick(rng)

        # retention: most players leave on day 0, a few stay for months
        r = rng.random()
        if r < 0.38:
            lifetime, activity = 0, 0.0
        elif r < 0.73:
            lifetime, activity = geometric(rng, 3), rng.uniform(0.35, 0.8)
        elif r < 0.93:
            lifetime, activity = geometric(rng, 12), rng.uniform(0.45, 0.9)
        else:
            lifetime, activity = 30 + geometric(rng, 120), rng.uniform(0.6, 0.95)
        install_day = (p.install_ts - ws) // DAY
        p.active_days = [0] + [
            d
            for d in range(1, min(lifetime, cfg.days - 1 - install_day) + 1)
            if rng.random() < activity
        ]
        p.engagement = rng.lognormvariate(0.0, 0.6)
        p.is_payer_target = rng.random() < cfg.payer_rate
        p.whale = False

        hour_ts = p.install_ts - p.install_ts % 3600
        day_ts = p.install_ts - p.install_ts % DAY
        week_ts = day_ts - ((day_ts // DAY + 3) % 7) * DAY  # weeks start on Monday
        month_start = dt.datetime.fromtimestamp(day_ts, dt.UTC).replace(day=1)
        p.meta_prefix = (
            f'"install_ts":{p.install_ts},"install_hour":{hour_ts},"cohort_week":{week_ts},'
            f'"cohort_month":{int(month_start.timestamp())},'
            f'"first_build":"{world.builds[p.first_build_idx]}","origin":"{origin}"'
        )
        players.append(p)
    return players


@dataclass
class PlannedSession:
    start: int  # planned start (unix seconds); the renderer may push it later
    player: Player
    middle: int = 0  # events between the session start and end events
    purchases: int = 0  # how many of the middle events are purchases
    is_install: bool = False


def plan_sessions(world: World, players: list[Player], rng: random.Random) -> list[PlannedSession]:
    """Sessions of every player, sized so the events add up to exactly `config.events`."""
    cfg = world.config
    ws, we = cfg.window_start_ts, cfg.window_end_ts
    hours = Weighted(list(enumerate(catalog.HOUR_WEIGHTS)))
    tz_of = {c[0]: c[2] for c in catalog.COUNTRIES}

    base_counts: list[list[int]] = []
    total = 0
    for p in players:
        counts = [1 + geometric(rng, 0.8 * p.engagement) for _ in p.active_days]
        base_counts.append(counts)
        total += sum(counts)
    target = max(len(players), cfg.events // TARGET_EVENTS_PER_SESSION)
    factor = target / total

    sessions: list[PlannedSession] = []
    for p, counts in zip(players, base_counts, strict=True):
        install_day = (p.install_ts - ws) // DAY
        tz = tz_of[p.country]
        for offset, base in zip(p.active_days, counts, strict=True):
            # an active day keeps at least one session: the retention curve is the truth,
            # a small event budget makes sessions shorter rather than days disappear
            n = max(1, _scaled(rng, base, factor))
            day_start = ws + (install_day + offset) * DAY
            lo = p.install_ts + 600 if offset == 0 else day_start
            hi = min(day_start + DAY, we - LAST_START_MARGIN)
            starts: list[int] = []
            if offset == 0:
                sessions.append(PlannedSession(p.install_ts, p, is_install=True))
                n -= 1
            for _ in range(n):
                t = day_start + ((hours.pick(rng) - tz) % 24) * 3600 + rng.randrange(3600)  # type: ignore[operator]
                if not lo <= t < hi:
                    if hi <= lo:
                        continue
                    t = rng.randrange(lo, hi)
                starts.append(t)
            sessions.extend(PlannedSession(t, p) for t in starts)

    # Every session has a start and an end event; never more sessions than events allow.
    excess = 2 * len(sessions) - cfg.events
    if excess > 0:
        optional = [i for i, s in enumerate(sessions) if not s.is_install]
        drop = set(rng.sample(optional, (excess + 1) // 2))
        sessions = [s for i, s in enumerate(sessions) if i not in drop]

    _distribute_middle_events(sessions, cfg.events - 2 * len(sessions), rng)
    _plan_purchases(players, sessions, rng)
    sessions.sort(key=lambda s: (s.start, s.player.idx))
    return sessions


def _scaled(rng: random.Random, base: int, factor: float) -> int:
    x = base * factor
    n = int(x)
    if rng.random() < x - n:
        n += 1
    return min(n, MAX_SESSIONS_PER_DAY)


def _distribute_middle_events(
    sessions: list[PlannedSession], middle: int, rng: random.Random
) -> None:
    if not sessions or middle <= 0:
        return
    weights = [s.player.engagement * rng.lognormvariate(0.0, 0.7) for s in sessions]
    total = sum(weights)
    assigned = 0
    for s, w in zip(sessions, weights, strict=True):
        s.middle = int(middle * w / total)
        assigned += s.middle
    for i in rng.sample(range(len(sessions)), middle - assigned):
        sessions[i].middle += 1


def _plan_purchases(
    players: list[Player], sessions: list[PlannedSession], rng: random.Random
) -> None:
    """Payers buy in their sessions: a few buy once, whales buy tens of times."""
    by_player: dict[int, list[PlannedSession]] = {}
    for s in sessions:
        if s.player.is_payer_target and s.middle > 0:
            by_player.setdefault(s.player.idx, []).append(s)
    for idx in sorted(by_player):
        own = sorted(by_player[idx], key=lambda s: s.start)
        player = own[0].player
        wanted = min(200, int(rng.paretovariate(1.3)))
        player.whale = wanted >= 10
        first = rng.randrange(max(1, (len(own) + 2) // 3))  # the first purchase comes early
        candidates = own[first:]
        for k in range(wanted):
            s = candidates[0] if k == 0 else rng.choice(candidates)
            if s.purchases < s.middle:
                s.purchases += 1
