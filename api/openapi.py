"""The API document, written without a running server: `python -m api.openapi [FILE]`.

Used by `make contract` (Spectral) and by the test that generates a client from it.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def document() -> dict[str, Any]:
    from api.app import create_app
    from api.settings import Settings

    # No store is opened: the app's lifespan never runs.
    return create_app(Settings(_env_file=None)).openapi()


def main() -> None:
    text = json.dumps(document(), indent=1, ensure_ascii=False)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
