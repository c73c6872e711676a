"""Turn planned sessions into JSON lines, day by day, with faults and the ground truth.

This is the hot loop of the generator (>= 100k events/s is a requirement), so events are
never built as dicts: each line is one f-string over fragments precomputed per player
(device, country, install facts) and per session (ids, build, connection), and random
choices index precomputed pools. Sessions are rendered in planned-start order; an event
never arrives before its session's planned start, so once the next session starts on day
`d`, every line whose arrival date is before `d` exists and that day can be written out.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from liberta.generator import catalog
from liberta.generator.faults import FAULT_KINDS, EventParts, FaultMaker
from liberta.generator.players import (
    DAY,
    MAX_SESSION_LENGTH,
    PlannedSession,
    Player,
    Weighted,
    World,
    build_at,
    random_uuid,
)

# Shares of the events between a session's start and end (business slots are planned).
MIDDLE_CATEGORIES = (
    ("progression", 34),
    ("design", 30),
    ("resource", 26),
    ("ads", 7),
    ("error", 3),
)
TIME_CORRECTION_LIMIT = 86_400  # client_ts more than 24 h after arrival_ts is not trusted


@dataclass
class DayLines:
    """Lines of one `dt`: `files[i]` for i < files_per_day are the regular files, the last
    one is the late file."""

    day: int
    files: list[list[str]]
    invalid: int = 0
    duplicates: int = 0


@dataclass
class Truth:
    """What a correct pipeline must find, computed from the generator's own model (per
    docs/metrics.md), not from the files. Day numbers count from the window start."""

    valid_by_category: Counter[str] = field(default_factory=Counter)
    invalid_by_kind: Counter[str] = field(default_factory=Counter)
    invalid_by_detail: Counter[str] = field(default_factory=Counter)
    future_clock: int = 0
    benign_variants: Counter[str] = field(default_factory=Counter)
    duplicates_same_file: int = 0
    duplicates_other_file: int = 0
    late_lines: int = 0
    offline_sessions: int = 0
    sessions: int = 0
    players_by_day: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    sessions_by_day: Counter[int] = field(default_factory=Counter)
    playtime_by_day: Counter[int] = field(default_factory=Counter)
    revenue_usd_by_day: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    revenue_minor_by_currency: Counter[str] = field(default_factory=Counter)
    business_events: int = 0


def _pools(world: World, rng: random.Random) -> dict[str, list[str]]:
    """Precomputed category bodies (each ends with a comma) to pick from by index."""
    resource = []
    for _ in range(96):
        flow, currency, item_type, item = rng.choice(catalog.RESOURCE_FLOWS)
        amount = float(rng.choice((1, 2, 5, 10, 25, 50, 100, 250, 500)))
        if flow == "Sink" and rng.random() < 0.25:
            amount = -amount  # some SDK integrations log sinks as negative: allowed (a float)
        resource.append(f'"event_id":"{flow}:{currency}:{item_type}:{item}","amount":{amount},')
    design = []
    for event_id in catalog.DESIGN_EVENTS:
        for _ in range(8):
            value = (
                round(rng.uniform(0, 120), 1)
                if event_id.startswith("Performance")
                else float(rng.randrange(0, 10))
            )
            design.append(f'"event_id":"{event_id}","value":{value},')
    errors = [f'"severity":"{s}","message":"{m}",' for s, m in catalog.ERROR_MESSAGES]
    action = Weighted(list(catalog.AD_ACTIONS))
    ads = [
        f'"ad_action":"{action.pick(rng)}","ad_type":"{rng.choice(catalog.AD_TYPES)}",'
        f'"ad_placement":"{rng.choice(catalog.AD_PLACEMENTS)}",'
        for _ in range(64)
    ]
    levels = [
        f"{w}:level_{lv:02d}"
        for w in catalog.WORLDS
        for lv in range(1, catalog.LEVELS_PER_WORLD + 1)
    ]
    categories = []
    for name, share in MIDDLE_CATEGORIES:
        categories.extend([name] * share)
    return {
        "resource": resource,
        "design": design,
        "error": errors,
        "ads": ads,
        "levels": levels,
        "categories": categories,
        "connections": [c for c, w in catalog.CONNECTION_TYPES if c != "offline" for _ in range(w)],
        "gaps": [1 + int(rng.expovariate(1 / 14)) for _ in range(4096)],
    }


class Renderer:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.pools = _pools(world, rng)
        self.faults = FaultMaker(set(world.currencies))
        self.truth = Truth()
        cfg = world.config
        # price of each tier in each currency, in minor units
        self.prices = {
            code: [catalog.local_price_minor(usd, cur) for usd in catalog.PRICE_TIERS_USD]
            for code, cur in world.currencies.items()
        }
        self.usd_per_minor = {
            code: cur.usd_per_unit / 10**cur.minor_digits for code, cur in world.currencies.items()
        }
        self.files_per_day = cfg.files_per_day
        self.ws, self.we = cfg.window_start_ts, cfg.window_end_ts
        self.pending: dict[int, DayLines] = {}

    # ----------------------------------------------------------------------------------
    def run(self, sessions: list[PlannedSession], emit: Callable[[DayLines], None]) -> None:
        ws = self.ws
        for s in sessions:
            start_day = (s.start - ws) // DAY
            for day in sorted(d for d in self.pending if d < start_day):
                emit(self.pending.pop(day))
            self._session(s)
        for day in sorted(self.pending):
            emit(self.pending.pop(day))

    def _bucket(self, day: int) -> DayLines:
        lines = self.pending.get(day)
        if lines is None:
            lines = DayLines(day, [[] for _ in range(self.files_per_day + 1)])
            self.pending[day] = lines
        return lines

    def _user_meta(self, p: Player, converting: bool) -> str:
        paying = "true" if p.pay_ft is not None else "false"
        pay_ft = f',"pay_ft":{p.pay_ft}' if p.pay_ft is not None else ""
        revenue = ",".join(f'"{c}":{v}' for c, v in sorted(p.paid_minor.items()))
        conv = "true" if converting else "false"
        return (
            f'{{{p.meta_prefix},"is_converting":"{conv}","is_paying":"{paying}"{pay_ft},'
            f'"revenue":{{{revenue}}}}}'
        )

    # ----------------------------------------------------------------------------------
    def _session(self, s: PlannedSession) -> None:
        world = self.world
        cfg = world.config
        rng = self.rng
        rand = rng.random
        truth = self.truth
        pools = self.pools
        gaps_pool = pools["gaps"]
        cats = pools["categories"]
        levels = pools["levels"]
        n_levels = len(levels)
        online_conn = pools["connections"]
        ws, we = self.ws, self.we
        F = self.files_per_day
        late_rate = cfg.late_rate
        benign_rate = cfg.benign_variant_rate
        p_corrupt = cfg.corrupt_rate
        p_arrival_float = benign_rate / 4
        p_late = late_rate
        p_dup = cfg.duplicate_rate

        p = s.player
        n_mid = s.middle
        gaps = [gaps_pool[int(rand() * 4096)] for _ in range(n_mid + 1)]
        length = sum(gaps)
        if length > MAX_SESSION_LENGTH:
            scale = (MAX_SESSION_LENGTH - n_mid - 1) / length
            gaps = [1 + int(g * scale) for g in gaps]
            length = sum(gaps)
        start = s.start
        if p.sessions_played and start < p.last_end + 30:
            start = p.last_end + 30
        if start + length > we - 60:
            start = we - 60 - length
        p.sessions_played += 1
        p.last_end = start + length
        truth.sessions += 1

        offline = rand() < cfg.offline_session_rate
        upload = 0
        if offline:
            truth.offline_sessions += 1
            upload = min(start + length + int(rng.lognormvariate(10.2, 1.1)), we - 1)
            conn = "offline"
        else:
            conn = online_conn[int(rand() * len(online_conn))]
        sid = random_uuid(rng)
        num = p.sessions_played
        build = build_at(world, p, start)
        rest = f'"build":"{build}","connection_type":"{conn}","v":2,{p.dev_json}'
        sfrag = f'"session_id":"{sid}","session_num":{num},"user_id":"{p.user_id}",{rest}'
        top = p.top_json
        if not p.meta_state:
            p.meta_state = self._user_meta(p, False)
        meta = p.meta_state
        purchase_slots = set(rng.sample(range(n_mid), s.purchases)) if s.purchases else ()
        skew = p.clock_skew
        days_seen: set[int] = set()
        level_open = False
        attempt = 1
        by_cat = truth.valid_by_category

        t = start
        last = n_mid + 1
        for i in range(last + 1):
            if i:
                t += gaps[i - 1]
            ev_meta = meta
            if i == 0:
                cat = "user"
                body = ""
            elif i == last:
                cat = "session_end"
                body = f'"length":{length},'
                if rand() < benign_rate:
                    if rand() < 0.5:
                        body = f'"length":"{length}",'
                        truth.benign_variants["length_as_string"] += 1
                    else:
                        body = f'"length":{length}.0,'
                        truth.benign_variants["length_as_float"] += 1
            elif i - 1 in purchase_slots:
                cat = "business"
                body, ev_meta, paid = self._purchase(p, t + skew)
                meta = p.meta_state
            else:
                cat = cats[int(rand() * 100)]
                if cat == "progression":
                    lvl = levels[p.level % n_levels]
                    if level_open:
                        score = int(rand() * 5000) * 10
                        if rand() < 0.62:
                            body = (
                                f'"event_id":"Complete:{lvl}","attempt_num":{attempt},'
                                f'"score":{score},'
                            )
                            p.level += 1
                            attempt = 1
                        else:
                            body = (
                                f'"event_id":"Fail:{lvl}","attempt_num":{attempt},'
                                f'"score":{score // 3},'
                            )
                            attempt += 1
                        level_open = False
                    else:
                        body = f'"event_id":"Start:{lvl}","attempt_num":{attempt},'
                        level_open = True
                else:
                    pool = pools[cat]
                    body = pool[int(rand() * len(pool))]
            cts = t + skew
            arr = upload if offline else t + 1 + int(rand() * 20)

            kind = None
            arr_text = arr
            # independent draws: the rare things must not be correlated with each other
            if p_corrupt and rand() < p_corrupt:
                kind = FAULT_KINDS[int(rand() * 8)]
                if kind == "future_clock":
                    cts = arr + TIME_CORRECTION_LIMIT + 3600 + int(rand() * 400 * DAY)
                    truth.future_clock += 1
            if rand() < p_arrival_float:
                arr_text = f"{arr}.0"
                truth.benign_variants["arrival_ts_as_float"] += 1
            late = p_late and rand() < p_late
            dup = p_dup and rand() < p_dup

            line = (
                f'{{"arrival_ts":{arr_text},{top},"data":{{"category":"{cat}",{body}'
                f'"client_ts":{cts},{sfrag}}},"user_meta":{ev_meta}}}'
            )
            day = (arr - ws) // DAY
            dl = self.pending.get(day) or self._bucket(day)
            f = ((arr - ws) % DAY) * F // DAY
            if late:
                f = F
                truth.late_lines += 1
            dl.files[f].append(line)
            by_cat[cat] += 1
            event_day = day if kind == "future_clock" else (cts - ws) // DAY
            days_seen.add(event_day)
            if cat == "session_end":
                truth.playtime_by_day[event_day] += length
            elif cat == "business":
                self._count_revenue(p, paid, event_day, arr if kind == "future_clock" else cts)

            if kind is not None and kind != "future_clock":
                parts = EventParts(arr, top, cat, body, cts, sid, num, p.user_id, rest, ev_meta)
                bad, detail = self.faults.make(kind, rng, parts, line)
                dl.files[f].append(bad)
                dl.invalid += 1
                truth.invalid_by_kind[kind] += 1
                truth.invalid_by_detail[detail] += 1
                if f == F:
                    truth.late_lines += 1
            if dup:
                target = f
                if rand() < 0.4:
                    others = [x for x in range(F + (1 if late_rate else 0)) if x != f]
                    if others:
                        target = others[int(rand() * len(others))]
                dl.files[target].append(line)
                dl.duplicates += 1
                if target == f:
                    truth.duplicates_same_file += 1
                else:
                    truth.duplicates_other_file += 1
                if target == F:
                    truth.late_lines += 1
        for d in days_seen:
            truth.players_by_day[d].add(p.idx)
            truth.sessions_by_day[d] += 1

    def _purchase(self, p: Player, cts: int) -> tuple[str, str, tuple[str, int]]:
        """A business event body, the user_meta that goes with it, and (currency, amount);
        the player's state (revenue, pay_ft, cached user_meta) is updated."""
        rng = self.rng
        currency = p.currency if rng.random() < 0.9 else "USD"
        if currency not in self.prices:
            currency = p.currency
        tiers = self.prices[currency]
        tier = (
            min(6, 2 + int(rng.expovariate(0.9))) if p.whale else min(6, int(rng.expovariate(1.1)))
        )
        amount = tiers[tier]
        item_type, item_id = rng.choice(catalog.ITEMS)
        p.purchases += 1
        converting = p.pay_ft is None
        if converting:
            p.pay_ft = cts
        p.paid_minor[currency] = p.paid_minor.get(currency, 0) + amount
        amount_text = str(amount)
        if rng.random() < self.world.config.benign_variant_rate:
            if rng.random() < 0.5:
                amount_text = f'"{amount}"'
                self.truth.benign_variants["amount_as_string"] += 1
            else:
                amount_text = f"{amount}.0"
                self.truth.benign_variants["amount_as_float"] += 1
        body = (
            f'"currency":"{currency}","amount":{amount_text},"event_id":"{item_type}:{item_id}",'
            f'"cart_type":"{rng.choice(catalog.CART_TYPES)}","transaction_num":{p.purchases},'
        )
        meta = self._user_meta(p, converting)
        p.meta_state = self._user_meta(p, False) if converting else meta
        return body, meta, (currency, amount)

    def _count_revenue(
        self, p: Player, paid: tuple[str, int], event_day: int, event_ts: int
    ) -> None:
        cur, amount = paid
        truth = self.truth
        truth.business_events += 1
        truth.revenue_minor_by_currency[cur] += amount
        truth.revenue_usd_by_day[event_day] += amount * self.usd_per_minor[cur]
        if p.first_pay_event_ts is None or event_ts < p.first_pay_event_ts:
            p.first_pay_event_ts = event_ts
