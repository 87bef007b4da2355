"""Re-encrypt every personal number under the newest field key and recompute lookup hashes.

Key rotation: put the new key first in ``PINGAN_FIELD_KEYS`` (``new,old``), run this command,
then drop the old key. A new ``PINGAN_HASH_KEY`` can be introduced the same way: the hashes are
recomputed from the decrypted values.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from pingan.core import crypto

# (app label, model, encrypted field, hash field or "")
FIELDS = [
    ("people", "Resident", "id_number_encrypted", "id_number_hash"),
    ("people", "Resident", "phone_encrypted", "phone_hash"),
    ("people", "Organization", "contact_phone_encrypted", "contact_phone_hash"),
    ("events", "CallTerminal", "phone_encrypted", "phone_hash"),
    ("events", "Event", "reporter_phone_encrypted", "reporter_phone_hash"),
]
BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt personal numbers under the newest PINGAN_FIELD_KEYS key; rehash them."

    def handle(self, *args, **options) -> None:
        from django.apps import apps

        for label, name, encrypted, hashed in FIELDS:
            model = apps.get_model(label, name)
            qs = model._default_manager.exclude(**{encrypted: ""}).order_by("pk")
            done = 0
            last = 0
            while True:
                rows = list(qs.filter(pk__gt=last).only("pk", encrypted, hashed)[:BATCH])
                if not rows:
                    break
                with transaction.atomic():
                    for row in rows:
                        plain = crypto.decrypt(getattr(row, encrypted))
                        setattr(row, encrypted, crypto.encrypt(plain))
                        if hashed:
                            setattr(row, hashed, crypto.keyed_hash(plain))
                    fields = [encrypted, hashed] if hashed else [encrypted]
                    model._default_manager.bulk_update(rows, fields)
                done += len(rows)
                last = rows[-1].pk
            self.stdout.write(f"{label}.{name}.{encrypted}: {done}")
