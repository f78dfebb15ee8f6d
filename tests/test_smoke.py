from tests.conftest import ADMIN
from tests.factories import make_party, make_site


async def test_a_site_can_be_created_and_read_back(client):
    party = await make_party(client)
    site = await make_site(client, party["id"])
    r = await client.get(f"/v1/sites/{site['id']}")
    assert r.status_code == 200
    assert r.json()["open_hours"]["mon"] == [["06:00", "22:00"]]


async def test_each_test_starts_with_an_empty_database(client):
    r = await client.get("/v1/parties", headers=ADMIN)
    assert r.json()["items"] == []
