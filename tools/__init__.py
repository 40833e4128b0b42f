"""Tools that read the code itself: the import graph, its layer rules and its diagram."""
