-- Interventions: the legal basis of the measure (only its own agency sees it, like the
-- description) and the date of the re-inspection (a date: everyone on the case sees it).
ALTER TABLE interventions ADD COLUMN legal_basis TEXT NOT NULL DEFAULT '';
ALTER TABLE interventions ADD COLUMN reinspection_date TEXT;
