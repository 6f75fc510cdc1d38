"""What an analyst does through the API in many tests: save a diagram (POST /api/v1/processes)."""

from __future__ import annotations


def save_process(client, api, xml: str, expect: int = 201) -> dict:
    """Save `xml` as the analyst of the demo county; the answer's JSON, after checking its status."""
    response = client.post(
        "/api/v1/processes",
        data=xml.encode(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {api.token('analyst@qx')}"},
    )
    assert response.status_code == expect, response.json
    return response.json
