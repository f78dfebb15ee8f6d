"""Idempotency keys (contract section 8): a write retried with the same key is made once."""
