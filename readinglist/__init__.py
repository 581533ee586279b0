"""Reading List: a reading-list manager for research papers.

The package core (everything but :mod:`readinglist.gui`) never imports Qt, so
it can be driven from the command line and tested without a display.
"""

__version__ = "0.1.0"
APP_NAME = "Reading List"
APP_ID = "io.github.readinglist.ReadingList"
