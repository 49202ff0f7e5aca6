"""Every file a command writes for people: HTML pages, CSV tables and PNG figures, in one room.

The compute modules (:mod:`sentilab.evaluate`, :mod:`sentilab.explore`, :mod:`sentilab.documents`,
:mod:`sentilab.audit`) return plain results and never write files or import plotting; a module here turns
one kind of result into its bundle of files, using :mod:`sentilab.plots` (data → Figure) and
:mod:`sentilab.reports.html` (the page skeleton, tables, embedded figures).
"""
