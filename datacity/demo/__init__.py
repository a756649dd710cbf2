"""The demo edition (DataCity Casablanca 2017) and its loader.

Unlike `datacity.accounts` and `datacity.core`, which know nothing of the domain apps, this app sits at the top of
the dependency graph, like the root URLconf: it composes every domain app to seed a complete edition.
"""
