"""The credit application form is asked in the customer's market: amounts in its currency reaching
the model's Deutsche Mark scale in one place, questions and reasons in the customer's language, and
never a question about sex, marital status, age, nationality or residency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from millet.core.errors import Unprocessable
from millet.lending.credit import EXCLUDED, MODEL_FEATURES
from millet.lending.credit.reasons import REASONS, reason_text
from millet.lending.credit.scale import DM_PER_EUR, PER_EUR, to_dm, whole_dm
from millet.lending.form import PLATFORM_FACTS, QUESTIONS, model_features
from millet.regions.services import define_currency, define_market
from tests.finance.lending.conftest import BAD_FORM, GOOD_FORM, placed_order

pytestmark = pytest.mark.django_db
LANGUAGES = ("en", "de", "zh-hans", "hi")
# Words that would ask for a protected attribute, in every language the form is shown in.
PROTECTED_WORDS = {
    "en": ("age", "born", "birth", "sex", "gender", "male", "female", "married", "single", "nationality",
           "citizen", "foreign", "resident"),
    "de": ("alter", "geburt", "geschlecht", "verheiratet", "ledig", "staatsangehörigkeit", "ausländ"),
    "zh-hans": ("年龄", "出生", "性别", "婚", "国籍", "外籍", "居民"),
    "hi": ("आयु", "उम्र", "जन्म", "लिंग", "विवाह", "राष्ट्रीयता", "विदेशी", "निवासी"),
}  # fmt: skip


def form_for(client, market: str, language: str) -> list[dict]:
    response = client.get(f"/lending/features?market={market}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_features_api_never_asks_for_a_protected_attribute(credit):
    asked = {q.feature for q in QUESTIONS} | {fact.feature for fact in PLATFORM_FACTS}
    assert asked == {f.name for f in MODEL_FEATURES} and not asked & set(EXCLUDED)
    client = credit.client("alice")
    for market in ("CN", "IN", "DE"):
        for language in LANGUAGES:
            fields = form_for(client, market, language)
            assert not {f["name"] for f in fields} & set(EXCLUDED)
            text = " ".join(
                [f["label"] for f in fields] + [c["label"] for f in fields for c in f["choices"]]
            ).lower()
            words = set(text.replace("?", " ").replace("(", " ").replace(")", " ").split())
            for word in PROTECTED_WORDS[language]:
                assert word not in words and (language == "en" or word not in text), (market, language, word)


@pytest.mark.parametrize(
    ("market", "language", "currency", "label"),
    [
        ("CN", "zh-Hans", "CNY", "活期账户余额（如没有活期账户请留空）"),
        ("IN", "hi", "INR", "आपके चालू खाते की शेष राशि (यदि खाता नहीं है तो खाली छोड़ें)"),
        ("DE", "de", "EUR", "Kontostand Ihres Girokontos (leer lassen, wenn Sie keines haben)"),
        ("IN", "en", "INR", "Balance of your current account (leave empty if you have none)"),
    ],
)
def test_the_form_is_asked_in_the_customers_currency_and_language(credit, market, language, currency, label):
    fields = {f["name"]: f for f in form_for(credit.client("alice"), market, language)}
    assert fields["current_account_balance"]["label"] == label
    assert fields["current_account_balance"]["currency"] == fields["savings"]["currency"] == currency
    assert fields["credit_amount"]["supplied_by_platform"] and fields["credit_amount"]["currency"] == currency
    assert fields["housing"]["currency"] is None
    assert [c["value"] for c in fields["housing"]["choices"]] == ["rent", "own", "free"]


def test_every_label_choice_and_reason_is_translated():
    texts = [q.label for q in QUESTIONS] + [c.label for q in QUESTIONS for c in q.choices]
    texts += [fact.label for fact in PLATFORM_FACTS] + [text for _, text in REASONS.values()]

    def shown(language: str) -> list[str]:
        with translation.override(language):
            return [str(text) for text in texts]

    english = shown("en")
    for language in ("de", "zh-hans", "hi"):
        untranslated = [en for en, there in zip(english, shown(language), strict=True) if en == there]
        assert not untranslated, (language, untranslated)


def test_an_unknown_market_or_one_the_model_has_no_scale_for_is_refused(credit):
    client = credit.client("alice")
    assert client.get("/lending/features?market=FR").status_code == 404
    define_currency("USD", "US dollar")
    define_market("US", "United States", currency="USD", languages=["en"], time_zone="America/New_York")
    refused = client.get("/lending/features?market=US")
    assert (refused.status_code, refused.json()["error"]) == (422, "unsupported_currency")
    assert client.get("/lending/features").status_code == 422  # the market must be named


def test_amounts_reach_the_model_through_one_documented_scale():
    assert DM_PER_EUR == Decimal("1.95583") and PER_EUR == {
        "EUR": Decimal("1"),
        "CNY": Decimal("9.5242"),
        "INR": Decimal("66.8880"),
    }
    # 200 DM (the current-account threshold) is 973.929... CNY, 6,839.858... INR and 102.258... EUR.
    for currency, below, at in (
        ("CNY", "973.91", "973.93"),
        ("INR", "6839.85", "6839.87"),
        ("EUR", "102.25", "102.26"),
    ):
        answers = dict(GOOD_FORM, current_account_balance=below)
        assert (
            model_features(answers, currency=currency)["status_of_existing_checking_account"]
            == "0 <= ... < 200 DM"
        )
        answers["current_account_balance"] = at
        assert model_features(answers, currency=currency)["status_of_existing_checking_account"] == (
            "... >= 200 DM / salary assignments for at least 1 year"
        )
    overdrawn = model_features(dict(GOOD_FORM, current_account_balance="-0.01"), currency="CNY")
    assert overdrawn["status_of_existing_checking_account"] == "... < 0 DM"
    none = model_features(
        {k: v for k, v in GOOD_FORM.items() if k not in ("current_account_balance", "savings")},
        currency="INR",
    )
    assert none["status_of_existing_checking_account"] == "no checking account"
    assert none["savings_account_and_bonds"] == "unknown/ no savings account"
    # 1,000 DM of savings is 4,869.65 CNY (4,869.646...).
    savings = {
        amount: model_features(dict(GOOD_FORM, savings=amount), currency="CNY")["savings_account_and_bonds"]
        for amount in ("4869.64", "4869.65")
    }
    assert savings == {"4869.64": "500 <= ... < 1000 DM", "4869.65": "... >= 1000 DM"}
    assert to_dm(Decimal("9.5242"), "CNY") == DM_PER_EUR
    assert whole_dm(Decimal("2499.00"), "CNY") == 513  # the demo phone's price as a credit amount


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"age_in_years": 30}, "protected_attribute"),
        ({"personal_status_and_sex": "male : single"}, "protected_attribute"),
        ({"foreign_worker": "no"}, "protected_attribute"),
        ({"job": "skilled employee / official"}, "protected_attribute"),
        ({"credit_amount": "10.00"}, "platform_feature"),
        ({"duration_in_month": 6}, "platform_feature"),
        ({"shoe_size": 42}, "unknown_feature"),
        ({"housing": "castle"}, "invalid_feature"),
        ({"dependants": True}, "invalid_feature"),
        ({"dependants": 21}, "invalid_feature"),
        ({"savings": 100.5}, "invalid_feature"),
        ({"savings": "-5.00"}, "malformed_money"),
        ({"savings": "12.345"}, "malformed_money"),
        ({"current_account_balance": "lots"}, "malformed_money"),
    ],
)
def test_bad_answers_are_refused_precisely(change, code):
    with pytest.raises(Unprocessable) as refused:
        model_features({**GOOD_FORM, **change}, currency="CNY")
    assert refused.value.code == code
    with pytest.raises(Unprocessable) as missing:
        model_features({k: v for k, v in GOOD_FORM.items() if k != "housing"}, currency="CNY")
    assert missing.value.code == "missing_feature"


def test_reasons_are_plain_words_in_the_readers_language(credit):
    order = placed_order(credit)
    body = {"order_number": order.number, "product": "CN-EASY", "term_months": 12, "form": BAD_FORM}
    declined = credit.client("alice").post("/lending/applications", body, HTTP_ACCEPT_LANGUAGE="de")
    assert declined.status_code == 201, declined.content
    reasons = declined.json()["reasons"]
    assert reasons and declined.json()["status"] == "declined"
    assert [r["text"] for r in reasons] == [reason_text(r["code"], "de") for r in reasons]
    assert all(r["feature"] not in EXCLUDED and r["code"] == REASONS[r["feature"]][0] for r in reasons)
    number = declined.json()["number"]
    chinese = (
        credit.client("alice").get(f"/lending/applications/{number}", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()
    )
    assert [r["text"] for r in chinese["reasons"]] == [reason_text(r["code"], "zh-hans") for r in reasons]
    assert chinese["reasons"][0]["text"] != reasons[0]["text"]
