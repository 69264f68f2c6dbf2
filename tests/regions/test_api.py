def test_markets_are_public(markets, api_client):
    response = api_client().get("/regions/markets")
    assert response.status_code == 200
    assert [m["code"] for m in response.json()] == ["CN", "DE", "IN"]
    assert response.json()[2] == {
        "code": "IN",
        "name": "India",
        "currency": "INR",
        "languages": ["hi", "en"],
        "time_zone": "Asia/Kolkata",
        "prices_include_tax": True,
    }


def test_one_market(markets, api_client):
    response = api_client().get("/regions/markets/CN")
    assert response.status_code == 200 and response.json()["currency"] == "CNY"


def test_unknown_market_is_404(markets, api_client):
    response = api_client().get("/regions/markets/FR")
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_market"
