-- Refresh-token families (OAuth 2.0 Security BCP, refresh token rotation): every token
-- issued by one login shares a family; a rotated-out refresh token is remembered until it
-- would have expired, and presenting it again ends the whole family.
ALTER TABLE tokens ADD COLUMN family TEXT;
CREATE INDEX tokens_family ON tokens(family);

CREATE TABLE spent_refresh_tokens (
  hash        TEXT PRIMARY KEY,        -- sha256 of the rotated-out refresh token
  family      TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users(id),
  device_id   TEXT NOT NULL REFERENCES devices(id),
  spent_at    TEXT NOT NULL,
  expires_at  TEXT NOT NULL
) STRICT;
CREATE INDEX spent_refresh_tokens_expiry ON spent_refresh_tokens(expires_at);
