"""bench/identity: argon2id rates, and sign-ups and logins through the real gateway (issue #3)."""
