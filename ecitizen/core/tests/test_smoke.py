import pytest


@pytest.mark.django_db
def test_home_page_renders_with_language_switcher(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="fr"' in body and 'lang="es"' in body
    assert "usa-skipnav" in body
