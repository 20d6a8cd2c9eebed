"""Login, opaque tokens, devices, roles and guards."""
