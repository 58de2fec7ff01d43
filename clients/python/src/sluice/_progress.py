"""Progress display: a tqdm bar when tqdm is installed (``pip install sluice-sdk[progress]``), else one text line on
stderr rewritten in place; or the caller's own callable."""
from __future__ import annotations

import sys
from typing import Any, Callable, Optional, Union

ProgressArg = Union[bool, Callable[..., Any], None]


class Bar:
    """A bar of ``total`` units (None: unknown); ``update_to(n)`` sets the count, ``close()`` ends the line."""

    def __init__(self, total: Optional[int], desc: str, unit: str = "it", unit_scale: bool = False):
        self.total = total
        self.desc = desc
        self.unit = unit
        self.n = 0
        self._tqdm = None
        try:
            from tqdm import tqdm  # optional
            self._tqdm = tqdm(total=total, desc=desc, unit=unit, unit_scale=unit_scale, file=sys.stderr)
        except ImportError:
            pass

    def set_total(self, total: Optional[int]):
        self.total = total
        if self._tqdm is not None and total is not None and self._tqdm.total != total:
            self._tqdm.total = total
            self._tqdm.refresh()

    def update_to(self, n: int, postfix: str = ""):
        if self._tqdm is not None:
            if postfix:
                self._tqdm.set_postfix_str(postfix, refresh=False)
            self._tqdm.update(n - self.n)
        else:
            of = f"/{self.total}" if self.total is not None else ""
            sys.stderr.write(f"\r{self.desc}: {n}{of} {self.unit} {postfix}   ")
            sys.stderr.flush()
        self.n = n

    def close(self):
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            sys.stderr.write("\n")
            sys.stderr.flush()
