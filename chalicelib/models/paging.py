"""Pages of the lists that have no natural bound (sequences, preplot lines, QC results).

``limit``/``offset`` with the total in ``X-Total-Count``, like the event list. The default page is the
largest one, so a client that never asked for pages still gets a whole project of ordinary size.
"""

from __future__ import annotations

from chalicelib.models import Model

DEFAULT_LIST_PAGE = 10_000
MAX_LIST_PAGE = 10_000


class PageQuery(Model):
    limit: int = DEFAULT_LIST_PAGE
    offset: int = 0
