#!/usr/bin/python3
"""edit_model.py IN OUT KEY=VALUE... - a copy of a senti model file with __metadata__ entries
set (or, with KEY=, removed), for tests that need hand-built models (hostile labels, say).
The header is rewritten and padded so that the data still starts on a 64-byte boundary."""
import json
import struct
import sys


def main(src, dst, edits):
    with open(src, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.setdefault("__metadata__", {})
    for e in edits:
        k, _, v = e.partition("=")
        if v:
            meta[k] = v
        else:
            meta.pop(k, None)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((-(8 + len(text))) % 64)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + blob[8 + n:])


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
