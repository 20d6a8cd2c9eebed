-- The team lead's workspace: browser sessions (a session is not a device) and the state
-- each phone reports with its pushes (client_state, for the dashboard).

CREATE TABLE workspace_sessions (
  hash           TEXT PRIMARY KEY,      -- sha256 of the opaque session token (cookie value)
  user_id        TEXT NOT NULL REFERENCES users(id),
  created_at     TEXT NOT NULL,
  last_active_at TEXT NOT NULL,         -- idle timeout counts from here (SSE does not count)
  expires_at     TEXT NOT NULL,         -- absolute end, fixed at login
  ip             TEXT
) STRICT;
CREATE INDEX workspace_sessions_user ON workspace_sessions(user_id);

-- The latest client_state a device reported (sync protocol: push envelope), with the
-- server time it arrived. One row per device; replaced by every report.
CREATE TABLE device_states (
  device_id          TEXT PRIMARY KEY REFERENCES devices(id),
  outbox             INTEGER,
  photos_pending     INTEGER,
  photo_bytes_pending INTEGER,
  app_version        TEXT,
  storage_persisted  INTEGER,
  reported_at        TEXT,              -- the phone's own clock, as sent
  received_at        TEXT NOT NULL      -- server time of the push that carried it
) STRICT, WITHOUT ROWID;
