-- An agency that stops taking part in a case leaves a record, so the partner API can tell
-- that agency's clients (a `case-access-withdrawn` event in their change feed) instead of the
-- case silently disappearing. Written by a trigger: whatever removes the case_agencies row
-- (no operation of the application does yet) leaves the record in the same transaction.

CREATE TABLE case_departures (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,   -- the partner feed's second position
  case_id    TEXT NOT NULL,
  agency_id  TEXT NOT NULL,
  at         TEXT NOT NULL
) STRICT;
CREATE INDEX case_departures_agency ON case_departures(agency_id, id);

CREATE TRIGGER case_agencies_departure AFTER DELETE ON case_agencies
BEGIN
  INSERT INTO case_departures (case_id, agency_id, at)
  VALUES (OLD.case_id, OLD.agency_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
