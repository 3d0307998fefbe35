"""A fresh key for KABINET_PD_KEYS."""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Создать ключ для KABINET_PD_KEYS (шифрование персональных данных жалоб)"

    def handle(self, *args, **options):
        self.stdout.write(Fernet.generate_key().decode())
