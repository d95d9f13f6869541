"""Suggesting a complaint's category from its text, learned from the officers' classifications
(issue 15): the citizen's form suggests a category while they type, and complaints that arrive
without one (mail, WhatsApp/SMS) take the top suggestion, marked "suggested" for the officer
until an officer confirms or changes it.

    terms.py       the terms a text is counted and matched by (Indonesian)
    tables.py      term counts per category, sharded
    learning.py    counting a classification in its transaction; the rebuild from history
    suggesting.py  naive Bayes over those counts: `suggest(text)`
"""

from pengaduan.categorising.suggesting import Suggestion, suggest

__all__ = ["Suggestion", "suggest"]
