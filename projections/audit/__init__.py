"""The verifiable audit log: sealer, Merkle proofs, C2SP checkpoints, witnesses, timestamps,
verification and decision dossiers.

Pure modules (no database, no domain) that an inspector's verifier may reuse: merkle, leaf,
note, tlog, checkpoint, policy, trust, keys, payload, strict_json, dossier, render,
bundle_format, bundle_verify.
"""
