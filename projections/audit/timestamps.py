"""RFC 3161 timestamps of checkpoints, with the `rfc3161-client` library.

What is timestamped is the checkpoint as the log signed it: its body, the blank line and the
log's signature line (`timestamped_bytes`), so the token also shows that the signature existed
at that time (useful if the key is later compromised). The token (the DER TimeStampResp) is
kept with the checkpoint and checked offline against the TSA's root certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from projections.audit.checkpoint import Checkpoint

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampError(ValueError):
    """No token could be had, or a token does not verify."""


def timestamped_bytes(checkpoint: Checkpoint) -> bytes:
    return (checkpoint.signed_text + "\n" + checkpoint.log_line).encode()


def request_token(url: str, data: bytes, timeout: float = 5.0) -> bytes:
    """Asks the TSA at `url` for a token over SHA-256(data); returns the DER response, checked
    to answer this request (nonce, imprint) before it is kept."""
    request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).build()
    try:
        response = httpx.post(
            url,
            content=request.as_bytes(),
            headers={"Content-Type": QUERY_TYPE},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise TimestampError(f"the TSA at {url} did not answer: {exc}") from None
    if response.status_code != 200:
        raise TimestampError(f"the TSA at {url} answered {response.status_code}")
    try:
        decoded = decode_timestamp_response(response.content)
    except ValueError as exc:
        raise TimestampError(f"the TSA at {url} sent no timestamp response: {exc}") from None
    if decoded.tst_info.nonce != request.nonce:
        raise TimestampError(f"the TSA at {url} answered another request (nonce)")
    if decoded.tst_info.message_imprint.message != request.message_imprint.message:
        raise TimestampError(f"the TSA at {url} timestamped other data")
    return response.content


@dataclass(frozen=True)
class TimestampCheck:
    gen_time: datetime
    tsa: str


def load_roots(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TimestampError(f"cannot read TSA root certificates from {path}: {exc}") from None


def verify_token(token: bytes, data: bytes, roots: list[x509.Certificate]) -> TimestampCheck:
    """Offline: the token is a granted response over `data`, signed by a certificate for
    time-stamping that chains to one of `roots`. Raises TimestampError."""
    if not roots:
        raise TimestampError("no TSA root certificate to check the timestamp against")
    try:
        response = decode_timestamp_response(token)
    except ValueError as exc:
        raise TimestampError(f"not a timestamp response: {exc}") from None
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify_message(response, data)
    except (VerificationError, ValueError) as exc:
        raise TimestampError(f"the timestamp does not verify: {exc}") from None
    gen_time = response.tst_info.gen_time
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=UTC)
    name = response.tst_info.name
    return TimestampCheck(gen_time, str(getattr(name, "value", name)) if name else "")
