"""Background services started with the API process (registered in `api.app.build_services`):
the embedded projection runner and the audit sealer."""
