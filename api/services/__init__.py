"""Background services started with the API process.

Every module here that defines `build(state: AppState) -> BackgroundService | None` is asked for
its service at start-up (the embedded projection runner, the audit sealer, ...).
"""
