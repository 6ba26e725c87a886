import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_openapi_document_lists_me_with_the_bearer_scheme(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    me = schema["paths"]["/api/v1/me"]["get"]
    assert {"TokenAuth": []} in me["security"]
    assert me["x-required-scopes"] == ["profile:read"]
    assert {"200", "401", "403", "429"} <= set(me["responses"])
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"]["type"] == "http" and schemes["TokenAuth"]["scheme"] == "bearer"
    assert "ErrorOut" in schema["components"]["schemas"]
    assert "/api/v1/tokens/{token_id}/revoke" in schema["paths"]


def _script_tags(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE)


def test_docs_page_is_served_from_our_own_static_files_under_the_csp(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp

    # No third-party URL anywhere on the page.
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//""", html)
    assert "cdn" not in html.lower() and "unpkg" not in html and "jsdelivr" not in html
    assert "validator.swagger.io" not in html

    # Every script is an external file of ours (none inline, none without a nonce).
    scripts = _script_tags(html)
    assert scripts
    for tag in scripts:
        source = re.search(r'src="([^"]+)"', tag)
        assert source or "nonce=" in tag, f"inline script without nonce: {tag}"
    bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.IGNORECASE | re.DOTALL)
    assert len(bodies) == len(scripts) and all(not body.strip() for body in bodies)
    assert "<style" not in html and " style=" not in html

    # The assets exist in our static files (ninja's Swagger UI and our start-up script).
    sources = [re.search(r'src="([^"]+)"', tag).group(1) for tag in scripts]
    for wanted in ("ninja/swagger-ui-bundle.js", "api/swagger-init.js"):
        url = next(src for src in sources if src.endswith(wanted))
        assert url.startswith("/static/")
        assert finders.find(wanted), f"{wanted} is not in the static files"
    assert "/static/ninja/swagger-ui.css" in html
    assert '"validatorUrl": null' in html.replace("&quot;", '"')
    assert 'data-swagger-settings="' in html and "/api/v1/openapi.json" in html


def test_swagger_start_up_script_is_csp_safe():
    source = Path(finders.find("api/swagger-init.js")).read_text()
    assert "eval(" not in source and "innerHTML" not in source
