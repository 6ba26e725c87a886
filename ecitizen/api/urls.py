from ninja import NinjaAPI

api = NinjaAPI(title="eCitizen API", version="1", urls_namespace="api")


@api.get("/health", auth=None, summary="Liveness of the API")
def health(request):  # type: ignore[no-untyped-def]
    return {"status": "ok"}

