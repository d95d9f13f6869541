"""Category suggestion learned from the officers' classifications (issue 15): a citizen's form
suggests a category while they type, and complaints that come by mail or WhatsApp take the
suggestion as their category, marked "suggested" until an officer confirms or changes it.

    terms.py       the terms a text is counted and matched by (Indonesian)
    tables.py      term counts per category, sharded
    learning.py    counting a classification in its transaction; the rebuild from history
    suggesting.py  naive Bayes over those counts: `suggest(text)`
"""

from pengaduan.categorising.suggesting import Suggestion, suggest

__all__ = ["Suggestion", "suggest"]
