-- Partner API: client-credential tokens, secret rotation, signals created by a client,
-- webhook endpoints, the notification worker's cursor and its outbox.

-- Secret rotation: the previous secret keeps working until previous_secret_until.
ALTER TABLE api_clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE api_clients ADD COLUMN previous_secret_until TEXT;

-- Opaque access tokens of partner clients (client credentials grant), stored as sha256.
CREATE TABLE client_tokens (
  hash        TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL REFERENCES api_clients(id),
  scopes      TEXT NOT NULL,           -- JSON list granted to this token
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL
) STRICT;
CREATE INDEX client_tokens_client ON client_tokens(client_id);

-- Signals: the creator is a user or (partner signals) an API client, never both. A client
-- chooses its own id per signal (client_ref); a repeated POST with that id returns the first.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE signals_previous AS SELECT * FROM signals;
DROP TABLE signals;
CREATE TABLE signals (
  id           TEXT PRIMARY KEY,
  source       TEXT NOT NULL,          -- anonymous, resident, partner, own-observation
  description  TEXT NOT NULL,
  subject      TEXT NOT NULL,          -- JSON: address and/or business
  status       TEXT NOT NULL CHECK (status IN ('open', 'triaged', 'dismissed')),
  case_id      TEXT,
  dismissed_reason TEXT,
  created_by   TEXT REFERENCES users(id),
  created_by_client TEXT REFERENCES api_clients(id),
  client_ref   TEXT,
  agency_id    TEXT NOT NULL REFERENCES agencies(id),
  created_at   TEXT NOT NULL,
  rev          INTEGER NOT NULL,
  CHECK ((created_by IS NULL) <> (created_by_client IS NULL)),
  CHECK ((client_ref IS NULL) = (created_by_client IS NULL))
) STRICT;
INSERT INTO signals (id, source, description, subject, status, case_id, dismissed_reason,
                     created_by, agency_id, created_at, rev)
  SELECT id, source, description, subject, status, case_id, dismissed_reason,
         created_by, agency_id, created_at, rev FROM signals_previous;
DROP TABLE signals_previous;
CREATE UNIQUE INDEX signals_client_ref ON signals(created_by_client, client_ref)
  WHERE created_by_client IS NOT NULL;
