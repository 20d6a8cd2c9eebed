-- The team lead's dashboard lists the latest rejected ops from the field.
CREATE INDEX ops_rejected ON ops(received_at) WHERE status = 'rejected';
