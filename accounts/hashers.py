"""How passwords are stored: Argon2id with the parameters OWASP recommends.

Django's own Argon2 parameters (100 MiB, 8 lanes) cost about 0.3 s of CPU a hash here and its
default PBKDF2 (1,000,000 iterations) about 0.4 s: at a few sign-ups a second that alone fills
a 2-core web server, and every other request waits behind it (`make load` measured a p95 of
19 s with PBKDF2). OWASP's minimum for Argon2id (19 MiB of memory, 2 passes, 1 lane) costs
about 37 ms and is memory-hard, which a GPU guessing passwords pays for far more than a web
server does. Hashes made with PBKDF2 earlier still check (settings.PASSWORD_HASHERS lists it
second) and are rewritten with Argon2id at the person's next log-in.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id, m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet)."""

    # Django's `argon2` prefix: the parameters travel in each hash, so a change of them (or
    # Django's own class reading these hashes) keeps working, and must_update() notices it.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
