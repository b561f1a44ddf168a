-- Schema 4: speed calibration. A worker measures its speed per language against the reference host at start
-- (docs/sandbox.md, "Speed calibration"); a problem's time limit is a time on that host. A run may use
-- limit × language multiplier × speed factor of CPU time here, and its CPU time ÷ factor is the normalised time.

-- The language's speed factor on the worker that judged the submission, and the CPU limit per test it applied.
ALTER TABLE submissions ADD COLUMN speed_factor double precision;
ALTER TABLE submissions ADD COLUMN cpu_limit_ms integer;

-- CPU time as measured (cpu_ms) and as it would have been on the reference host.
ALTER TABLE test_results ADD COLUMN normalized_cpu_ms integer;

-- {"python": {"factor": 1.02, "measuredCpuMs": 181.5, "referenceCpuMs": 178.2}, ...}; {} when not calibrated.
ALTER TABLE worker_heartbeats ADD COLUMN speed jsonb NOT NULL DEFAULT '{}';
