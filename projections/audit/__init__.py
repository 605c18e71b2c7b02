"""The verifiable audit log: sealer, Merkle proofs, verification and decision dossiers.

Pure modules (no database, no domain) that an inspector's verifier may reuse: merkle, leaf,
checkpoint, keys, payload, dossier, render, bundle_verify.
"""
