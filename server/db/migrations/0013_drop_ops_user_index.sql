-- The op log's index on user_id costs every pushed op an extra b-tree insert (about 5,600
-- instructions per row), and nothing reads the op log by user: the timeline and the monitor
-- join ops to users by the users primary key, and the push looks ops up by (device_id, seq)
-- and op_id. Users are never deleted, so the foreign key's child lookup does not need it.
DROP INDEX ops_user;
