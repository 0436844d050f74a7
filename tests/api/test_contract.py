"""The API contract on the reference programme: what a dashboard reads for AM.3 and FA 54."""

from rest_framework.test import APIClient


def _only(client, code):
    body = client.get("/api/v1/actions/", {"code": code}).json()
    assert body["count"] == 1
    assert set(body) == {"count", "next", "previous", "results"}
    return body["results"][0]


def test_am3_as_listed(reference_data, coordinator):
    client = APIClient()
    client.force_login(coordinator)
    fiche = _only(client, "AM.3")
    assert fiche["code"] == "AM.3"
    assert fiche["territory"]["key"] == "bethune"
    assert fiche["project_owner"]["key"] == "bethune"
    assert sorted(axis["number"] for axis in fiche["axes"]) == ["3", "4"]
    assert fiche["sub_axis"] is None
    assert fiche["status"] == "unknown"
    assert fiche["cost"] == {
        "kind": "exact",
        "amount": "7927732.94",
        "min": None,
        "max": None,
        "per_year": False,
        "basis": "TTC",
        "text": fiche["cost"]["text"],
        "display": fiche["cost"]["display"],
    }
    assert fiche["cost"]["display"].startswith("7 927 732,94") or fiche["cost"]["text"]
    assert fiche["start"]["date"] == "2018-06-01"
    assert fiche["start"]["precision"] == "month"
    assert fiche["end"]["date"] == "2019-09-01"
    assert {"date", "until", "precision", "text", "display"} == set(fiche["end"])
    lines = {line["funder"]["key"]: line for line in fiche["funding_lines"]}
    assert set(lines) == {"bethune", "etat", "cabbalr", "region"}
    assert lines["cabbalr"]["amount"] == "2026450.00"
    assert lines["cabbalr"]["nature"] == "subvention"
    assert lines["cabbalr"]["status"] == "planned"
    assert lines["cabbalr"]["scheme"] is None
    totals = fiche["totals"]
    assert totals["cost"] == "7927732.94"
    assert totals["funded_by_status"] == {
        "planned": "7115968.00",
        "requested": "0.00",
        "granted": "0.00",
        "paid": "0.00",
        "refused": "0.00",
    }
    assert totals["planned"] == "7115968.00"
    assert totals["planned_share"] == "89.8"
    assert totals["acquired"] == "0.00"  # nothing accordé nor versé in the documents
    assert totals["acquired_share"] == "0.0"
    assert totals["own"] is None


def test_fa54_as_listed(reference_data, coordinator):
    client = APIClient()
    client.force_login(coordinator)
    fiche = _only(client, "FA 54")
    assert fiche["territory"]["key"] == "bruay"
    assert [axis["number"] for axis in fiche["axes"]] == ["4"]
    assert fiche["sub_axis"]["code"] == "4.4"
    assert fiche["cost"]["amount"] == "1712934.00"
    assert fiche["cost"]["basis"] == "TTC"
    assert fiche["start"]["precision"] == "year"
    assert fiche["start"]["display"] == fiche["start"]["text"] or fiche["start"]["display"] == "2024"
    [line] = fiche["funding_lines"]
    assert line["funder"]["key"] == "cabbalr"
    assert line["amount"] == "225000.00"
    assert line["status"] == "planned"
    assert line["scheme"] is None
    assert fiche["totals"]["cost"] == "1712934.00"
    assert fiche["totals"]["funded_by_status"]["planned"] == "225000.00"
    assert fiche["totals"]["planned_share"] == "13.1"


def test_detail_nests_operations_milestones_indicators_and_progress(reference_data, coordinator):
    client = APIClient()
    client.force_login(coordinator)
    pk = _only(client, "AM.3")["id"]
    detail = client.get(f"/api/v1/actions/{pk}/").json()
    for key in ("operations", "milestones", "result_indicators", "progress_updates", "funding_lines", "partners"):
        assert isinstance(detail[key], list), key
    assert detail["cost"]["amount"] == "7927732.94"


def test_partner_lists_only_what_visible_to_gives(reference_data, partner_bdt):
    from financing.models import FundingLine

    client = APIClient()
    client.force_login(partner_bdt)
    body = client.get("/api/v1/funding-lines/", {"page_size": 100}).json()
    expected = set(FundingLine.objects.visible_to(partner_bdt).values_list("pk", flat=True))
    assert {row["id"] for row in body["results"]} == expected
    assert body["count"] == len(expected) > 0
    assert all(row["funder"]["key"] == "bdt" or row["status"] in ("granted", "paid") for row in body["results"])


def test_unknown_amount_is_null_not_zero(db, coordinator):
    from tests.factories import FundingLineFactory

    line = FundingLineFactory(amount=None)
    client = APIClient()
    client.force_login(coordinator)
    assert client.get(f"/api/v1/funding-lines/{line.pk}/").json()["amount"] is None


def test_schema_and_offline_docs_are_served(db):
    client = APIClient()
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/actions/" in schema.json()["paths"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar/swagger-ui-dist" in docs.content
