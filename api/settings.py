"""The one settings class of every process: API server, worker and command line.

Everything comes from the environment (prefix BEWIJSKETEN_) or a `.env` file, read once, here;
each layer gets its part as plain values (`store` for the event store, ...). `bewijsketen
serve` and `uvicorn --factory api.app:create_app` read the same settings, so both serve the same
configuration.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.expiry import DEFAULT_TOKEN_LIFETIME, DURATION, parse_duration
from domain.persistence.config import StoreConfig

if TYPE_CHECKING:
    from api.web.config import WebConfig
    from projections.audit.config import AuditConfig
    from projections.config import ProjectionConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BEWIJSKETEN_", env_file=".env", extra="ignore")

    # ---- the event store
    data_dir: Path = Field(Path("./var"), description="Where the embedded SQLite store lives.")
    database_url: str | None = Field(
        None, description="postgresql://user:pass@host:port/db; when set, PostgreSQL is used."
    )
    database_schema: str | None = Field(
        None, description="PostgreSQL schema of the event store (must exist); default public."
    )
    threads: int = Field(16, ge=1, description="Worker threads; the PostgreSQL pool matches it.")
    connect_timeout: int = Field(
        5, ge=1, description="Seconds to wait for a new database connection (libpq: at least 2)."
    )
    pool_timeout: float = Field(
        1.0,
        gt=0,
        description="Seconds a request waits for a pooled database connection; then it answers "
        "503 (the database is unreachable or every connection is busy).",
    )
    reconnect_timeout: float = Field(
        2.0,
        gt=0,
        description="Seconds a connection pool retries a lost connection before it gives up and "
        "connects anew on the next request: keeps recovery after an outage short.",
    )
    command_retries: int = Field(8, ge=0, description="Retries of a command on a version conflict.")
    snapshot_interval: int = Field(
        50, ge=2, description="A trajectory is snapshotted every this many events."
    )
    aggregate_cache: int = Field(
        1000, ge=0, description="Aggregates kept in memory between commands (see command_cache)."
    )

    # ---- encryption at rest (the key that wraps every student's data keys)
    kek: SecretStr | None = Field(
        None,
        description="The key-encryption key itself: base64 of 32 random bytes (`openssl rand "
        "-base64 32`); wins over kek_file. Keep it apart from the database and its backups: "
        "with it a shredded student's data stays unreadable only if the database alone leaks.",
    )
    kek_file: Path | None = Field(
        None,
        description="File holding the key-encryption key (base64, mode 0600) "
        "(default <data dir>/keys/kek.key). The store refuses to start without it, or with "
        "another key than the one it was made with.",
    )
    create_kek: bool = Field(
        True,
        description="Embedded (SQLite) mode only: create the key file on first start when the "
        "store has no key-encryption key yet. With PostgreSQL, several processes share the "
        "store: generate one key and give every process the same.",
    )

    # ---- the HTTP API
    host: str = Field("127.0.0.1", description="Interface the API listens on.")
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where clients reach this server (named in the API document); no trailing /.",
    )
    port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    seed_demo: bool = Field(False, description="Seed the demo on first start (empty store).")
    embedded_projections: bool = Field(
        True, description="Run the projection runner inside the API process."
    )
    authenticator: str = Field(
        "api.tokens:TokenStore",
        description="module:factory that builds the Authenticator from these settings; "
        "replace it to sign in through an OpenID Connect provider.",
    )
    switch_interval_ms: float = Field(
        0.2,
        gt=0,
        description="Python's thread switch interval in this process (Python's default: 5 ms). "
        "A command holds the event table's lock across database round trips and must win the "
        "GIL back after each; with the event loop busy parsing other requests it may wait this "
        "long each time, while every other writer waits for the lock.",
    )
    read_cache: int = Field(
        1000, ge=0, description="Trajectories kept in memory for GET requests (0: none)."
    )
    token_cache_seconds: float = Field(
        10.0, ge=0, description="How long a checked token is trusted before it is looked up again."
    )
    token_lifetime: timedelta = Field(
        DEFAULT_TOKEN_LIFETIME,
        gt=timedelta(0),
        description="How long a token lives unless `token create --expires` says otherwise: "
        "12h, 90d, ISO 8601 (PT12H) or seconds.",
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1, description="Largest request body accepted, in bytes (413 above)."
    )
    max_body_depth: int = Field(
        32, ge=1, description="Deepest nesting of arrays and objects in a JSON body (422 above)."
    )

    # ---- sign-in with the school's account (OpenID Connect) and the web pages
    oidc_issuer: str | None = Field(
        None,
        description="Issuer URL of the OpenID Connect provider (SURFconext, Entree, Microsoft "
        "Entra ID); its /.well-known/openid-configuration is read. Unset: no school sign-in, "
        "and the API accepts only its own tokens.",
    )
    oidc_client_id: str | None = Field(None, description="This application's client id there.")
    oidc_client_secret: SecretStr | None = Field(
        None, description="The client secret (confidential client; PKCE is used as well)."
    )
    oidc_scopes: str = Field(
        "openid profile", description="Scopes asked for at sign-in, separated by spaces."
    )
    oidc_person_claim: str = Field(
        "sub", description="The claim that holds the person id the events record."
    )
    oidc_name_claim: str = Field("name", description="The claim with the display name.")
    oidc_roles_claim: str = Field(
        "roles", description="The claim whose values say which roles a person may act in."
    )
    oidc_role_values: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per role (student, coach, mentor, assessor, committee, quality, inspector, "
        "admin, external), the values of the roles claim that grant it, as JSON, e.g. "
        '{"committee": ["examencommissie"]}. A role not listed is granted by its own name.',
    )
    oidc_audience: str | None = Field(
        None,
        description="The `aud` the API requires of the provider's access tokens (JWT); default "
        "the client id.",
    )
    oidc_redirect_url: str | None = Field(
        None,
        description="The redirect URI registered at the provider; default <this site>/aanmelden/"
        "terug as the request reached it.",
    )
    web_session_minutes: int = Field(
        480, ge=1, le=7 * 24 * 60, description="How long a web sign-in lasts, in minutes."
    )
    web_session_secret: SecretStr | None = Field(
        None,
        description="Key that signs the session cookies; default a random key kept in "
        "<data dir>/web-session.key (give every process of one site the same key).",
    )
    web_secure_cookies: bool = Field(
        False,
        description="Always mark cookies Secure; without it they are Secure when the request "
        "came over https (behind a proxy: run uvicorn with --proxy-headers).",
    )

    # ---- the read models
    read_schema: str | None = Field(
        None,
        description="PostgreSQL schema of the read models. Default bewijsketen_read, or "
        "<event schema>_read when the events live in a schema of their own.",
    )
    read_database: Path | None = Field(
        None, description="SQLite file of the read models; default <data_dir>/read_models.sqlite."
    )
    projection_batch_size: int = Field(1000, ge=1, description="Events per runner transaction.")
    projection_poll_interval: float | None = Field(
        None,
        gt=0,
        description="Seconds between polls of the log: default 0.1 on SQLite (it has no "
        "notifications) and 2.0 on PostgreSQL (a fallback: the runner wakes on NOTIFY).",
    )
    read_wait_max: float = Field(
        5.0, ge=0, description="Longest wait, in seconds, of a query that passes min_position."
    )

    # ---- the audit log
    audit_enabled: bool = Field(True, description="Run the sealer in the API process.")
    audit_key_file: Path | None = Field(
        None,
        description="PEM file of the Ed25519 signing key "
        "(default <data dir>/audit/signing-key.pem).",
    )
    audit_private_key: SecretStr | None = Field(
        None, description="The signing key itself (PEM or base64 seed); wins over key_file."
    )
    audit_create_key: bool = Field(
        True,
        description="Embedded (SQLite) mode only: create the key file on first start if the log "
        "has no checkpoint yet. With PostgreSQL, several processes share the log: run "
        "`bewijsketen audit keygen` once and give every process the same key.",
    )
    audit_origin: str = Field(
        "bewijsketen",
        description="The log's origin line and key name, e.g. bewijsketen.<school domain>/audit "
        "(unique among the logs a witness follows; no spaces or '+').",
    )
    audit_checkpoint_every: int = Field(
        1000, ge=1, description="A checkpoint after this many events..."
    )
    audit_checkpoint_seconds: float = Field(
        10.0, gt=0, description="...or after this many seconds."
    )
    audit_batch_size: int = Field(5000, ge=1, description="Events sealed per transaction at most.")
    audit_poll_seconds: float = Field(0.1, gt=0, description="Pause of the sealer when idle.")
    audit_policy_file: Path | None = Field(
        None,
        description="Trust policy (c2sp.org/tlog-policy): the log's key, the witnesses (with "
        "their URLs the log sends checkpoints to) and the quorum; `audit verify` and "
        "GET /audit/verify check against it.",
    )
    audit_witness_timeout: float = Field(
        5.0, gt=0, description="Seconds to wait for a witness or TSA."
    )
    audit_witness_grace_seconds: float = Field(
        60.0,
        ge=0,
        description="Checkpoints younger than this may still lack the quorum's cosignatures "
        "without failing verification.",
    )
    audit_tsa_url: str | None = Field(
        None, description="RFC 3161 time-stamping authority: every checkpoint gets a token."
    )
    audit_tsa_roots: Path | None = Field(
        None, description="PEM root certificate(s) of the TSA, to verify the tokens offline."
    )
    # `bewijsketen witness serve`: a witness for other logs (c2sp.org/tlog-witness).
    audit_witness_name: str = Field(
        "witness.localhost/w1", description="The witness's key name (a schema-less URL)."
    )
    audit_witness_key_file: Path | None = Field(
        None, description="The witness's Ed25519 key (default <data dir>/witness/key.pem)."
    )
    audit_witness_logs: list[str] = Field(
        default_factory=list,
        description="Verifier keys (vkeys) of the logs the witness follows; the key name is "
        "the log's origin.",
    )
    audit_witness_state_file: Path | None = Field(
        None,
        description="SQLite file of the witness's latest checkpoint per log "
        "(default <data dir>/witness/state.sqlite).",
    )
    audit_witness_host: str = Field("127.0.0.1", description="Where `witness serve` listens.")
    audit_witness_port: int = Field(
        8181, ge=0, le=65535, description="Where `witness serve` listens (0: any free port)."
    )

    @field_validator("token_lifetime", mode="before")
    @classmethod
    def _short_duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            if DURATION.match(value):
                return parse_duration(value)
            if value.strip().isdigit():
                return timedelta(seconds=int(value))
        return value

    @property
    def web(self) -> WebConfig:
        from api.web.config import WebConfig

        return WebConfig.build(self)

    @property
    def store(self) -> StoreConfig:
        return StoreConfig(
            data_dir=self.data_dir,
            database_url=self.database_url,
            database_schema=self.database_schema,
            threads=self.threads,
            connect_timeout=self.connect_timeout,
            pool_timeout=self.pool_timeout,
            reconnect_timeout=self.reconnect_timeout,
            command_retries=self.command_retries,
            snapshot_interval=self.snapshot_interval,
            aggregate_cache=self.aggregate_cache,
            kek=self.kek.get_secret_value() if self.kek is not None else None,
            kek_file=self.kek_file,
            create_kek=self.create_kek,
        )

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def sqlite_path(self) -> Path:
        return self.store.sqlite_path

    # The read side's and the audit log's parts are imported when asked for: a short command
    # (`bewijsketen token create`) loads neither.
    @property
    def projections(self) -> ProjectionConfig:
        from projections.config import ProjectionConfig

        return ProjectionConfig.build(
            self.store,
            read_schema=self.read_schema,
            read_database=self.read_database,
            batch_size=self.projection_batch_size,
            poll_interval=self.projection_poll_interval,
            read_wait_max=self.read_wait_max,
        )

    @property
    def audit(self) -> AuditConfig:
        from projections.audit.config import AuditConfig

        key = self.audit_private_key
        return AuditConfig(
            enabled=self.audit_enabled,
            key_file=self.audit_key_file,
            private_key=key.get_secret_value() if key is not None else None,
            create_key=self.audit_create_key,
            origin=self.audit_origin,
            checkpoint_every=self.audit_checkpoint_every,
            checkpoint_seconds=self.audit_checkpoint_seconds,
            batch_size=self.audit_batch_size,
            poll_seconds=self.audit_poll_seconds,
            policy_file=self.audit_policy_file,
            witness_timeout=self.audit_witness_timeout,
            witness_grace_seconds=self.audit_witness_grace_seconds,
            tsa_url=self.audit_tsa_url,
            tsa_roots=self.audit_tsa_roots,
            witness_name=self.audit_witness_name,
            witness_key_file=self.audit_witness_key_file,
            witness_logs=tuple(self.audit_witness_logs),
            witness_state_file=self.audit_witness_state_file,
            witness_host=self.audit_witness_host,
            witness_port=self.audit_witness_port,
        )


def reference() -> str:
    """Every setting with its variable, default and meaning: docs/configuration.md's table."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = "unset" if default is None else f"`{default}`"
        meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `BEWIJSKETEN_{name.upper()}` | {shown} | {meaning} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import pathlib

    doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
    text = doc.read_text(encoding="utf-8")
    start = text.index("| variable |")
    end = text.index("\n\n", start) if "\n\n" in text[start:] else len(text)
    doc.write_text(text[:start] + reference() + text[end:], encoding="utf-8")
    print(f"wrote {doc}")
