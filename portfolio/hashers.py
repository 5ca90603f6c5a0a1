"""The password hasher: Argon2id with the parameters OWASP's password storage guidance gives first
(19 MiB of memory, 2 passes, 1 lane) rather than argon2-cffi's defaults (100 MiB, 2 passes, 8 lanes).

Each login costs some 20 ms of one core instead of about 100 ms, so that a 2-core app host keeps up with a
morning's logins (the load test asks for 20 a second) while a guessed password still costs an attacker 19 MiB
and the same time. A hash made with other parameters is re-made with these at the user's next login
(Django's must_update compares them)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class LibraryArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
