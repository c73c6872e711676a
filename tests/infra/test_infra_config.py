"""Stage selection from CDK context: defaults, overrides, and clear errors."""

from __future__ import annotations

import pytest

from infra.config import STAGES, stage_from_context


def test_dev_is_the_default_stage_and_prod_differs_where_it_should() -> None:
    dev = stage_from_context({})
    assert dev.name == "dev"
    prod = stage_from_context({"stage": "prod"})
    assert (dev.schedule_enabled, prod.schedule_enabled) == (False, True)
    assert (dev.retain_data, prod.retain_data) == (False, True)
    assert dev.emr_mode == "serverless" and prod.emr_mode == "cluster"
    assert dev.nat_gateways == prod.nat_gateways == 0


def test_context_overrides_mode_email_schedule_and_environment() -> None:
    config = stage_from_context(
        {
            "stage": "prod",
            "emr_mode": "serverless",
            "alarm_email": "data-oncall@example.com",
            "schedule": "false",
        },
        {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"},
    )
    assert config.emr_mode == "serverless"
    assert config.alarm_email == "data-oncall@example.com"
    assert config.schedule_enabled is False
    assert (config.account, config.region) == ("123456789012", "eu-west-1")
    # The shared defaults are untouched (frozen configs, copied on override).
    assert STAGES["prod"].emr_mode == "cluster"


def test_context_account_and_region_win_over_the_cli_environment() -> None:
    config = stage_from_context(
        {"account": "210987654321", "region": "us-east-2"},
        {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"},
    )
    assert (config.account, config.region) == ("210987654321", "us-east-2")


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"stage": "qa"}, "unknown stage 'qa'"),
        ({"emr_mode": "spark"}, "emr_mode='spark'"),
        ({"alarm_email": "not-an-address"}, "alarm_email='not-an-address'"),
        ({"account": "12345"}, "account='12345'"),
        ({"schedule": "sometimes"}, "schedule='sometimes'"),
    ],
)
def test_bad_context_is_rejected_with_the_field_named(context: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        stage_from_context(context, {})


@pytest.mark.parametrize("lookback", [-1, 1.5, True])
def test_the_lookback_must_be_a_whole_number_of_hours(lookback: object) -> None:
    with pytest.raises(ValueError, match=r"lookback_hours=.* must be a whole number >= 0"):
        STAGES["dev"].with_overrides(lookback_hours=lookback)
    assert STAGES["dev"].with_overrides(lookback_hours=0).lookback_hours == 0
