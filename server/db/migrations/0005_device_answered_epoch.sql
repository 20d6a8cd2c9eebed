-- Sync protocol "Restore without loss": per device, the epoch in which the server last
-- answered one of its pushes. The first push of a device whose answered_epoch is below the
-- database epoch (a restore happened since) applies nothing and answers expected_seq.
ALTER TABLE devices RENAME COLUMN epoch TO answered_epoch;
