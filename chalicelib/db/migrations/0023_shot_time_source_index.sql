-- A sequence's first and last shot, and those of each UTC day, are asked for by time then source
-- (`ORDER BY tstamp, objref LIMIT 1`): with the source in the index each is one probe, where the index by
-- time alone sorted every shot of the sequence (or of the day) while an import's new rows had no
-- statistics yet.
CREATE INDEX shot_sequence_time ON shot (pid, sequence, kind, tstamp, objref);
DROP INDEX shot_sequence;
