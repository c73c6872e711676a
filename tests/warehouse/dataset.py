"""A small hand-made star schema in two overlapping runs (A: Mar 1-2, B: Mar 2-8 2026).

Figures expected after loading both (any order, any number of times), computed by hand:

  users: u1 (key 101) installs 03-01, active 03-01, 03-02, 03-08, pays 03-01 (0.99 USD)
         u2 (key 102) run A says install 03-01 12:00, run B says 02-28 23:00 (earliest wins),
            active 03-01 and 03-08, pays 03-08 (10 EUR = 10.80 USD)
         u3 (key 103) installs 03-02, active 03-02, pays 03-02 (5 EUR = 5.40 USD)
  event 1004 and session 202 are in both runs; run B also sees session 202's end.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def date_rows(first: date, last: date) -> list[dict]:
    rows, day = [], first
    while day <= last:
        rows.append(
            {
                "date_key": int(day.strftime("%Y%m%d")),
                "calendar_date": day,
                "year": day.year,
                "quarter": (day.month - 1) // 3 + 1,
                "month": day.month,
                "day_of_month": day.day,
                "day_of_week": day.isoweekday(),
                "iso_week": day.isocalendar().week,
                "is_weekend": day.isoweekday() >= 6,
                "month_name": MONTHS[day.month - 1],
                "day_name": DAYS[day.isoweekday() - 1],
            }
        )
        day += timedelta(days=1)
    return rows


IOS = {"device_key": 301, "platform": "ios", "os_version": "17.4", "manufacturer": "Apple",
       "device": "iPhone15,2"}  # fmt: skip
ANDROID = {"device_key": 302, "platform": "android", "os_version": "14", "manufacturer": "Samsung",
           "device": "SM-S911B"}  # fmt: skip
GEMS = {"item_key": 401, "item_type": "gems", "item_id": "pack_small", "cart_type": "shop"}


def user(key, user_id, *, install, first, last, country, platform, paying, first_payment,
         build, origin, game_id=7):  # fmt: skip
    return {
        "user_key": key,
        "user_id": user_id,
        "game_id": game_id,
        "install_ts": ts(install),
        "install_date": ts(install).date(),
        "first_build": build,
        "origin": origin,
        "country_code": country,
        "platform": platform,
        "first_seen_ts": ts(first),
        "last_seen_ts": ts(last),
        "is_paying": paying,
        "first_payment_ts": ts(first_payment) if first_payment else None,
    }


def session(key, user_key, device_key, start, end, length, num):
    return {
        "session_key": key,
        "session_id": f"s-{key}",
        "user_key": user_key,
        "device_key": device_key,
        "date_key": int(ts(start).strftime("%Y%m%d")),
        "start_ts": ts(start),
        "end_ts": ts(end),
        "length_s": length,
        "session_num": num,
    }


def event(key, user_key, session_key, device_key, at, category, *, length=None, num=1,
          country="US"):  # fmt: skip
    return {
        "event_key": key,
        "user_key": user_key,
        "session_key": session_key,
        "date_key": int(ts(at).strftime("%Y%m%d")),
        "device_key": device_key,
        "event_ts": ts(at),
        "arrival_ts": ts(at) + timedelta(seconds=5),
        "is_time_corrected": False,
        "category": category,
        "event_id": "gems:pack_small" if category == "business" else None,
        "session_num": num,
        "length_s": length,
        "value": None,
        "attempt_num": None,
        "score": None,
        "game_id": 7,
        "country_code": country,
    }


def revenue(key, user_key, session_key, device_key, at, currency, minor, usd, *, first=True):
    return {
        "event_key": key,
        "user_key": user_key,
        "session_key": session_key,
        "date_key": int(ts(at).strftime("%Y%m%d")),
        "device_key": device_key,
        "item_key": 401,
        "event_ts": ts(at),
        "currency": currency,
        "amount_minor": minor,
        "amount_usd": usd,
        "transaction_num": 1,
        "is_first_purchase": first,
        "country_code": "US",
    }


def run_a() -> dict[str, list[dict]]:
    return {
        "d_user": [
            user(
                101,
                "u1",
                install="2026-03-01 10:00",
                first="2026-03-01 10:00",
                last="2026-03-02 09:00",
                country="US",
                platform="ios",
                paying=True,
                first_payment="2026-03-01 10:05",
                build="1.0",
                origin="organic",
            ),
            user(
                102,
                "u2",
                install="2026-03-01 12:00",
                first="2026-03-01 12:00",
                last="2026-03-01 12:10",
                country="GB",
                platform="android",
                paying=False,
                first_payment=None,
                build="1.0",
                origin="adnet",
            ),
            user(
                103,
                "u3",
                install="2026-03-02 08:00",
                first="2026-03-02 08:00",
                last="2026-03-02 08:20",
                country="DE",
                platform="ios",
                paying=True,
                first_payment="2026-03-02 08:10",
                build="1.1",
                origin="organic",
            ),
        ],
        "d_date": date_rows(date(2026, 3, 1), date(2026, 3, 2)),
        "d_device": [IOS, ANDROID],
        "d_item": [GEMS],
        "f_session": [
            session(201, 101, 301, "2026-03-01 10:00", "2026-03-01 10:05", 300, 1),
            session(202, 101, 301, "2026-03-02 09:00", "2026-03-02 09:00", None, 2),
            session(203, 102, 302, "2026-03-01 12:00", "2026-03-01 12:10", 120, 1),
            session(204, 103, 301, "2026-03-02 08:00", "2026-03-02 08:20", 1200, 1),
        ],
        "f_event": [
            event(1001, 101, 201, 301, "2026-03-01 10:00", "user"),
            event(1002, 101, 201, 301, "2026-03-01 10:05", "business"),
            event(1003, 101, 201, 301, "2026-03-01 10:05", "session_end", length=300),
            event(1004, 101, 202, 301, "2026-03-02 09:00", "user", num=2),
            event(1005, 102, 203, 302, "2026-03-01 12:00", "user", country="GB"),
            event(1006, 102, 203, 302, "2026-03-01 12:10", "session_end", length=120, country="GB"),
            event(1007, 103, 204, 301, "2026-03-02 08:00", "user", country="DE"),
            event(1008, 103, 204, 301, "2026-03-02 08:10", "business", country="DE"),
            event(
                1009, 103, 204, 301, "2026-03-02 08:20", "session_end", length=1200, country="DE"
            ),
        ],
        "f_revenue": [
            revenue(1002, 101, 201, 301, "2026-03-01 10:05", "USD", 99, "0.99"),
            revenue(1008, 103, 204, 301, "2026-03-02 08:10", "EUR", 500, "5.4"),
        ],
    }


def run_b() -> dict[str, list[dict]]:
    return {
        "d_user": [
            user(
                101,
                "u1",
                install="2026-03-01 10:00",
                first="2026-03-02 09:00",
                last="2026-03-08 11:00",
                country="CA",
                platform="ios",
                paying=False,
                first_payment=None,
                build="1.1",
                origin="organic",
            ),
            user(
                102,
                "u2",
                install="2026-02-28 23:00",
                first="2026-03-08 10:00",
                last="2026-03-08 10:30",
                country="FR",
                platform="android",
                paying=True,
                first_payment="2026-03-08 10:15",
                build="1.2",
                origin="other",
            ),
        ],
        "d_date": date_rows(date(2026, 2, 28), date(2026, 3, 8)),
        "d_device": [IOS, ANDROID],
        "d_item": [GEMS],
        "f_session": [
            session(202, 101, 301, "2026-03-02 09:00", "2026-03-02 09:30", 1800, 2),
            session(205, 101, 301, "2026-03-08 11:00", "2026-03-08 11:00", None, 3),
            session(206, 102, 302, "2026-03-08 10:00", "2026-03-08 10:30", 1800, 2),
        ],
        "f_event": [
            event(1004, 101, 202, 301, "2026-03-02 09:00", "user", num=2),
            event(1010, 101, 202, 301, "2026-03-02 09:30", "session_end", length=1800, num=2),
            event(1011, 101, 205, 301, "2026-03-08 11:00", "user", num=3),
            event(1012, 102, 206, 302, "2026-03-08 10:00", "user", num=2),
            event(1013, 102, 206, 302, "2026-03-08 10:15", "business", num=2),
            event(1014, 102, 206, 302, "2026-03-08 10:30", "session_end", length=1800, num=2),
        ],
        "f_revenue": [
            revenue(1013, 102, 206, 302, "2026-03-08 10:15", "EUR", 1000, "10.8"),
        ],
    }


RUN_A = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-03T00:00:00Z",
         "high_water_mark": "2026-03-02T09:00:05Z"}  # fmt: skip
RUN_B = {"since": "2026-03-02T00:00:00Z", "until": "2026-03-09T00:00:00Z",
         "high_water_mark": "2026-03-08T11:00:05Z"}  # fmt: skip
