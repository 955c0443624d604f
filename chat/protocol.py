import json

import msgpack


def encode_both(frame):
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":")), msgpack.packb(frame)
