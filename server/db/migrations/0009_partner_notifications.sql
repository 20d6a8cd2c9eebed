-- Partner notifications: one webhook endpoint per API client, its signing secrets, and the
-- durable outbox the notification worker fills from the change feed and delivers from.

ALTER TABLE api_clients ADD COLUMN webhook_url TEXT;
ALTER TABLE api_clients ADD COLUMN webhook_secret TEXT;            -- whsec_… (Standard Webhooks)
ALTER TABLE api_clients ADD COLUMN webhook_previous_secret TEXT;   -- also signs until …_until
ALTER TABLE api_clients ADD COLUMN webhook_previous_until TEXT;

-- The worker's position in the change feed (meta key 'notify_seq') lives in meta.
INSERT INTO meta (key, value) VALUES ('notify_seq', '0');

CREATE TABLE notification_outbox (
  id            TEXT PRIMARY KEY,        -- uuid7; sent as webhook-id and CloudEvents id
  client_id     TEXT NOT NULL REFERENCES api_clients(id),
  case_id       TEXT NOT NULL,
  types         TEXT NOT NULL,           -- JSON list of summary-level event types
  seq           INTEGER NOT NULL,        -- the newest change-feed row it covers
  created_at    TEXT NOT NULL,
  due_at        TEXT NOT NULL,           -- next attempt
  attempts      INTEGER NOT NULL DEFAULT 0,
  state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'delivered', 'dead')),
  last_status   INTEGER,
  last_error    TEXT,
  delivered_at  TEXT
) STRICT;
CREATE INDEX notification_outbox_due ON notification_outbox(state, due_at);
CREATE INDEX notification_outbox_case ON notification_outbox(client_id, case_id, created_at);
