"""Re-encrypt complaints' identity data under the first key of KABINET_PD_KEYS; afterwards
the old keys can be dropped from the list."""

from django.core.management.base import BaseCommand, CommandError

from kabinet.appeals.complaints import RotationIncomplete, rotate_keys


class Command(BaseCommand):
    help = "Перешифровать персональные данные жалоб первым ключом KABINET_PD_KEYS"

    def handle(self, *args, **options):
        try:
            self.stdout.write(f"Перешифровано жалоб: {rotate_keys()}")
        except RotationIncomplete as incomplete:
            raise CommandError(str(incomplete)) from None
