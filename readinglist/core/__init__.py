"""The core services behind :class:`readinglist.library.Library` (no Qt here).

Each module owns one job, so a newcomer finds it by name:

* :mod:`.progress` — the one progress/cancel object of every long operation;
* :mod:`.query` — the query value object and every rule about composing and sorting it;
* :mod:`.identifiers` — titles, arXiv ids and DOIs folded for duplicate detection;
* :mod:`.reads` — queries, pages, counts and paper snapshots (read-only);
* :mod:`.writes` — the unit of work every change goes through;
* :mod:`.edits` — flags, notes, fields, citation keys, trash and purge;
* :mod:`.tags` — tag parsing, tagging and tag management;
* :mod:`.imports` — folder expansion, the pure import plan and its one-transaction apply;
* :mod:`.exports` — exports written atomically to a file;
* :mod:`.views` — built-in sidebar views, saved searches and import batches;
* :mod:`.index_sync` — keeps the derived search index in step with SQLite;
* :mod:`.duplicates` — finding papers that are one, and merging them;
* :mod:`.fill` — filling missing metadata from arXiv and Crossref;
* :mod:`.links` — which of a paper's links "open" means;
* :mod:`.markdown` — notes rendered to safe HTML;
* :mod:`.backups`, :mod:`.health`, :mod:`.faults` — snapshots, checks and repair, and
  the environment's faults as messages;
* :mod:`.wording` — how counts are worded for the user.
"""
