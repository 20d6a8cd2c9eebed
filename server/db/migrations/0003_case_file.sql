-- The team lead's case file: return to officer, overwritten values in conflicts, hand-over,
-- closing with a result, duplicate links, and an index for per-object audit excerpts.

-- Return to officer: the checklist stays 'submitted'; a new submit clears returned_at.
ALTER TABLE checklists ADD COLUMN returned_at TEXT;
ALTER TABLE checklists ADD COLUMN returned_by TEXT REFERENCES users(id);

-- The canonical JSON value the current write of a field replaced (NULL: the field was empty
-- before). Conflicts recorded from now on keep, per candidate, the value it overwrote.
ALTER TABLE answers ADD COLUMN overwrote TEXT;

-- Closing with a result: JSON {category, text, open_interventions, confirmed}.
ALTER TABLE cases ADD COLUMN result TEXT;

-- "Case X duplicates case Y": shown on both, audited, undone by setting unlinked_at.
-- Findings are never merged: a link is only a pointer between two cases.
CREATE TABLE case_links (
  id           TEXT PRIMARY KEY,
  case_id      TEXT NOT NULL REFERENCES cases(id),   -- the duplicate (often field-created)
  duplicate_of TEXT NOT NULL REFERENCES cases(id),   -- the case it duplicates
  linked_by    TEXT NOT NULL REFERENCES users(id),
  linked_at    TEXT NOT NULL,
  unlinked_by  TEXT REFERENCES users(id),
  unlinked_at  TEXT,
  CHECK (case_id != duplicate_of)
) STRICT;
CREATE UNIQUE INDEX case_links_active ON case_links(case_id) WHERE unlinked_at IS NULL;
CREATE INDEX case_links_target ON case_links(duplicate_of);

-- Audit excerpts per object (timeline, evidence package).
CREATE INDEX audit_events_object ON audit_events(object_id);

-- Op log per checklist (the case timeline): device ops and server ops name their checklist.
-- (json_valid guards the index: a row whose payload were not JSON must never fail to insert.)
CREATE INDEX ops_checklist ON ops(
  CASE WHEN json_valid(payload) THEN json_extract(payload, '$.checklist_id') END);
