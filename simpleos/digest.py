"""SHA-256 for cache keys and content hashes, without loading OpenSSL at every start.

`hashlib` loads OpenSSL's libcrypto when it is imported (4 ms on a quiet host, three
times that on a busy one), and a boot needs only a few small hashes: the assembler's
cache keys and the sensor's image hash. The interpreter has its own SHA-256 (the one
hashlib falls back to without OpenSSL), as the standard `random` module uses its own
SHA-512. Same digests either way. Hashing only: nothing here reads files.
"""
from __future__ import annotations

try:
    from _sha256 import sha256          # CPython 3.10 and 3.11
except ImportError:                     # pragma: no cover - other versions
    try:
        from _sha2 import sha256        # CPython 3.12 and later
    except ImportError:
        from hashlib import sha256

__all__ = ["sha256"]
