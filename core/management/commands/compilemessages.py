"""`manage.py compilemessages`: the catalogs of LOCALE_PATHS (.po) compiled to .mo in pure Python
(polib, a development dependency), in place of Django's command that needs GNU gettext's msgfmt.

The .mo files are committed, so `make run` and the tests need no gettext at all; the output is
the same bytes for the same .po on every machine, and a test (friends_site/tests/test_i18n.py)
fails when a committed .mo is not the compiled form of its .po. Extracting new strings
(`makemessages`, README "Languages") still needs GNU gettext's xgettext.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


def catalogs() -> list[Path]:
    """Every .po file of the project's own catalogs."""
    return sorted(po for path in settings.LOCALE_PATHS for po in Path(path).rglob("*.po"))


def compiled(po_path: Path) -> bytes:
    """The .mo bytes of a .po file: translated, non-fuzzy entries only (as msgfmt)."""
    import polib

    return polib.pofile(str(po_path)).to_binary()


def english_filled(po_path: Path) -> None:
    """Give each untranslated entry of an English catalog its own text (the source language)."""
    import polib

    catalog = polib.pofile(str(po_path))
    for entry in catalog.untranslated_entries():
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
    catalog.save()


class Command(BaseCommand):
    help = "Compile the project's .po catalogs to .mo files (pure Python, no GNU gettext)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fill-english",
            action="store_true",
            help="First give new entries of the English catalog their own text.",
        )

    def handle(self, *args, **options):
        if options["fill_english"]:
            for po_path in catalogs():
                if po_path.parent.parent.name == "en":
                    english_filled(po_path)
        for po_path in catalogs():
            mo_path = po_path.with_suffix(".mo")
            mo_path.write_bytes(compiled(po_path))
            self.stdout.write(f"{mo_path.relative_to(settings.BASE_DIR)}")
