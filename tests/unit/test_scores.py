"""The estimated verified score of KLA.md, its worked example and its edges."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from fieldvisit.reconcile.domain import (
    IndicatorClaim,
    IndicatorVerification,
    ItemFinding,
    Mode,
    Outcome,
    Predicate,
    Result,
    ScoreEstimate,
    SiteItemClaim,
    SiteOutcome,
    Tolerance,
    estimate_scores,
    predicate_for,
)

WIB = timezone(timedelta(hours=7))
AT = datetime(2025, 5, 14, 10, 0, tzinfo=WIB)

# As the catalogue version supplies them (kla-reference.yaml, predicates).
PREDICATES = [
    Predicate("NONE", D("0"), D("499.99")),
    Predicate("PRATAMA", D("500"), D("600")),
    Predicate("MADYA", D("601"), D("700")),
    Predicate("NINDYA", D("701"), D("800")),
    Predicate("UTAMA", D("801"), D("900")),
    Predicate("KLA", D("901"), D("1000")),
]


def indicator(code: str, score: str, value: str | None = None, max_score: str | None = "60",
              claim_id: int = 0) -> IndicatorClaim:
    return IndicatorClaim(claim_id or int(code[1:]), code, None if value is None else D(value), "%", D(score),
                          None if max_score is None else D(max_score))


def site_items(code: str, results: list[Result | None], site_id: int = 10,
               met: bool = True) -> tuple[list[SiteItemClaim], list[ItemFinding]]:
    claims, findings = [], []
    for n, result in enumerate(results):
        item = f"{code}_{n}"
        claims.append(SiteItemClaim(1000 * site_id + n, site_id, item, code, met, False))
        if result is not None:
            findings.append(ItemFinding(100 + n, site_id, item, result, 1, Mode.ON_SITE, 7, AT))
    return claims, findings


def verified(code: str, value: str) -> IndicatorVerification:
    return IndicatorVerification(code, D(value), 1, AT)


def estimate(claims: list[IndicatorClaim], items: list[SiteItemClaim] | None = None,
             findings: list[ItemFinding] | None = None, outcomes: list[SiteOutcome] | None = None,
             verifications: list[IndicatorVerification] | None = None,
             tolerances: list[Tolerance] | None = None) -> ScoreEstimate:
    return estimate_scores(claims, items or [], findings or [], outcomes or [], verifications or [],
                           tolerances or [], PREDICATES)


def test_the_worked_example_kota_tangerang_771_is_verified_at_754_35_nindya() -> None:
    others = [indicator(f"I{n:02d}", "32") for n in range(1, 25) if n not in (4, 8)]
    others[-1] = indicator("I24", "27")  # 21 × 32 + 27 = 699
    claims = [indicator("I04", "38", value="92.5", max_score="40"), indicator("I08", "34", max_score="40"), *others]
    items, findings = site_items("I08", [Result.MET, Result.MET, Result.PARTIAL, Result.NOT_MET])

    result = estimate(claims, items, findings, verifications=[verified("I04", "83.0")])

    assert result.self_assessed == D("771.00")
    assert result.verified == D("754.35")
    assert result.self_assessed_predicate and result.self_assessed_predicate.code == "NINDYA"
    assert result.verified_predicate and result.verified_predicate.code == "NINDYA"
    lines = {line.indicator_code: line for line in result.indicators}
    puspaga, birth = lines["I08"], lines["I04"]
    assert (puspaga.site_credit, puspaga.site_counted, puspaga.site_ratio) == (D("2.5"), 4, D("0.625"))
    assert (puspaga.value_ratio, puspaga.verified_score) == (None, D("21.25"))
    assert birth.verification_factor is not None
    assert birth.verification_factor.quantize(D("0.001")) == D("0.897")
    assert birth.value_ratio == birth.verification_factor and birth.site_ratio is None
    assert birth.verified_score == D("34.10")
    assert all(lines[c.indicator_code].verified_score == c.claimed_score for c in others)


@pytest.mark.parametrize(
    ("results", "site_ratio", "verified_score"),
    [
        ([Result.MET, Result.MET, Result.PARTIAL, Result.NOT_MET], D("0.625"), D("21.25")),
        ([], None, D("34.00")),
        ([None, None], None, D("34.00")),
        ([Result.NOT_OBSERVED, Result.NOT_APPLICABLE, None], None, D("34.00")),
        ([Result.MET, Result.NOT_OBSERVED, None, Result.NOT_APPLICABLE], D(1), D("34.00")),
        ([Result.PARTIAL, Result.NOT_OBSERVED], D("0.5"), D("17.00")),
        ([Result.NOT_MET], D(0), D("0.00")),
    ],
    ids=["worked-example", "no-site-items", "claims-without-findings-ratio-1", "not-observed-and-na-stay-out",
         "only-judged-items-count", "partial-half", "all-not-met"],
)
def test_the_site_ratio_counts_judged_items_only(results: list[Result | None], site_ratio: D | None,
                                                verified_score: D) -> None:
    items, findings = site_items("I08", results)
    [line] = estimate([indicator("I08", "34")], items, findings).indicators
    assert line.site_ratio == site_ratio
    assert line.ratio == (site_ratio if site_ratio is not None else D(1))
    assert line.verified_score == verified_score


@pytest.mark.parametrize("kind", [Outcome.CLOSED, Outcome.NOT_FOUND, Outcome.REFUSED],
                         ids=["closed", "not-found", "refused"])
def test_items_of_a_site_not_found_count_zero(kind: Outcome) -> None:
    found_items, found_findings = site_items("I08", [Result.MET, Result.MET], site_id=10)
    lost_items, lost_findings = site_items("I08", [Result.MET, None], site_id=11)
    outcomes = [SiteOutcome(10, Outcome.FOUND, 1, AT), SiteOutcome(11, kind, 2, AT)]
    [line] = estimate([indicator("I08", "40")], found_items + lost_items, found_findings + lost_findings,
                      outcomes).indicators
    assert (line.site_counted, line.site_credit, line.site_ratio) == (4, D(2), D("0.5"))
    assert line.verified_score == D("20.00")


def test_items_claimed_not_met_stay_out_of_the_site_ratio() -> None:
    met_items, met_findings = site_items("I08", [Result.MET], site_id=10)
    admitted, admitted_findings = site_items("I08", [Result.NOT_MET], site_id=11, met=False)
    [line] = estimate([indicator("I08", "34")], met_items + admitted, met_findings + admitted_findings).indicators
    assert (line.site_claims, line.site_ratio, line.verified_score) == (1, D(1), D("34.00"))


@pytest.mark.parametrize(
    ("score", "max_score", "claimed", "found", "value_ratio", "capped", "verified_score"),
    [
        ("38", "40", "92.5", "92.5", D(1), False, D("38.00")),
        ("30", "40", "100", "90", D(1), False, D("30.00")),
        ("30", "40", "100", "110", D(1), False, D("30.00")),
        ("30", "40", "100", "89", D("0.89"), False, D("26.70")),
        ("30", "40", "100", "120", D("1.2"), False, D("36.00")),
        ("30", "40", "50", "100", D(40) / D(30), True, D("40.00")),
        ("30", None, "50", "100", D(2), False, D("60.00")),
        ("30", "40", "0", "5", D(1), False, D("30.00")),
        ("30", "40", "0", "0", D(1), False, D("30.00")),
        ("30", "40", "100", "0", D(0), False, D("0.00")),
    ],
    ids=["inside", "vf-exactly-0.90-inside", "vf-exactly-1.10-inside", "under-found", "over-found-under-max",
         "over-found-capped-at-max", "no-max-no-cap", "claimed-zero-no-vf", "claimed-zero-found-zero",
         "nothing-found"],
)
def test_the_value_ratio(score: str, max_score: str | None, claimed: str, found: str, value_ratio: D,
                         capped: bool, verified_score: D) -> None:
    [line] = estimate([indicator("I04", score, value=claimed, max_score=max_score)],
                      verifications=[verified("I04", found)]).indicators
    assert (line.value_ratio, line.capped, line.verified_score) == (value_ratio, capped, verified_score)
    assert line.max_score is None or line.verified_score <= line.max_score


def test_a_claimed_value_without_verification_keeps_ratio_1() -> None:
    [line] = estimate([indicator("I04", "38", value="92.5")]).indicators
    assert (line.verification_factor, line.value_ratio, line.ratio, line.verified_score) == (
        None, None, D(1), D("38.00"))


def test_an_indicator_tolerance_widens_the_match() -> None:
    [line] = estimate([indicator("I04", "30", value="100")], verifications=[verified("I04", "85")],
                      tolerances=[Tolerance("I04", D("0.80"), D("1.20"))]).indicators
    assert (line.value_ratio, line.verified_score, line.tolerance.low) == (D(1), D("30.00"), D("0.80"))


def test_site_and_value_ratios_multiply() -> None:
    items, findings = site_items("I05", [Result.MET, Result.NOT_MET])
    [line] = estimate([indicator("I05", "40", value="10")], items, findings,
                      verifications=[verified("I05", "8")]).indicators
    assert (line.site_ratio, line.value_ratio, line.ratio, line.verified_score) == (
        D("0.5"), D("0.8"), D("0.40"), D("16.00"))


def test_each_line_is_rounded_half_up_to_cents_before_the_total() -> None:
    items, findings = site_items("I08", [Result.MET, Result.MET, Result.PARTIAL, Result.NOT_MET])
    claims = [indicator("I08", "21"), indicator("I09", "21", claim_id=99)]
    items9, findings9 = site_items("I09", [Result.MET, Result.MET, Result.PARTIAL, Result.NOT_MET], site_id=12)
    result = estimate(claims, items + items9, findings + findings9)
    assert [line.verified_score for line in result.indicators] == [D("13.13"), D("13.13")]  # 13.125 each
    assert result.verified == D("26.26")


def test_a_district_with_no_claims_scores_zero_without_a_predicate_band() -> None:
    result = estimate([])
    assert (result.indicators, result.self_assessed, result.verified) == ((), D("0.00"), D("0.00"))
    assert result.self_assessed_predicate and result.self_assessed_predicate.code == "NONE"
    assert result.verified_predicate and result.verified_predicate.code == "NONE"


@pytest.mark.parametrize(
    ("score", "code"),
    [("0", "NONE"), ("499.99", "NONE"), ("499.995", "NONE"), ("500", "PRATAMA"), ("600", "PRATAMA"),
     ("600.5", "PRATAMA"), ("601", "MADYA"), ("700.99", "MADYA"), ("701", "NINDYA"), ("754.35", "NINDYA"),
     ("771", "NINDYA"), ("801", "UTAMA"), ("901", "KLA"), ("1000", "KLA")],
    ids=lambda v: str(v),
)
def test_a_score_between_bands_floors_to_the_band_reached(score: str, code: str) -> None:
    band = predicate_for(D(score), PREDICATES)
    assert band is not None and band.code == code


def test_no_band_below_every_minimum() -> None:
    assert predicate_for(D("-1"), PREDICATES) is None
    assert predicate_for(D("771"), []) is None
