"""Third-party admin strings that their own catalogues leave without Japanese.

Django merges the catalogues of every installed app: a string that django-simple-history
(which ships no Japanese) or django-import-export (whose Japanese is partial) leave
untranslated falls through to this app's catalogue (directory/locale/ja), which translates
the ones the directory's admin pages show. They are listed here, marked and never called, so
that ``makemessages`` keeps them in the catalogue.
"""

from django.utils.translation import gettext_noop

THIRD_PARTY_STRINGS = (
    # django-simple-history: what a history entry did (the history page's "Comment").
    gettext_noop("Created"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    # django-import-export: the import and export forms, and the message after an import.
    gettext_noop("Resource"),
    gettext_noop("Select all"),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
)
