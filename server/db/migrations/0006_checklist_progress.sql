-- Progress of each checklist as pull's `checklist` record carries it (answered / visible /
-- required items, and how many things still block submitting), computed with the shared
-- completeness rules once per push transaction per checklist. NULL until first computed.
ALTER TABLE checklists ADD COLUMN progress TEXT;
