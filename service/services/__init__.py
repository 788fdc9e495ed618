"""Use cases: submit and read articles, annotate claims, store flags. No Flask here."""
