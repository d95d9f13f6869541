"""What the category suggestion has learned from the officers: per category, how many classified
complaints use each term, and how many complaints and terms it has in all.

Both are sharded by complaint (`shard` = complaint id mod SHARDS, in categorising.learning): two
officers classifying into the same category at once mostly add to different rows, so neither
waits for the other's commit. Readers sum over the shards. (term, category, shard) and
(category, shard) are unique (indexes made by raw SQL, migration 2026-12-05T03:00)."""

from piccolo.columns import ForeignKey, Integer, SmallInt, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.agency.tables import Category
from pengaduan.db import ENGINE


class CategoryTerm(Table, tablename="category_terms", db=ENGINE):
    """Classified complaints of `category` whose title or description has `term`."""

    term = Varchar(length=32)
    category = ForeignKey(references=Category, on_delete=OnDelete.cascade)
    shard = SmallInt(default=0)
    documents = Integer(default=0)


class CategoryCount(Table, tablename="category_counts", db=ENGINE):
    """Classified complaints of `category`, and the sum of their distinct terms."""

    category = ForeignKey(references=Category, on_delete=OnDelete.cascade)
    shard = SmallInt(default=0)
    documents = Integer(default=0)
    terms = Integer(default=0)
