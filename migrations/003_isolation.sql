-- Schema 3: sandboxes are VMs (under KVM or TCG) or namespace sets, so what a result and a heartbeat record is
-- the isolation ('Kvm', 'Tcg' or 'Namespace'), no longer only a VM accelerator.

ALTER TABLE submissions RENAME COLUMN accelerator TO isolation;
ALTER TABLE worker_heartbeats RENAME COLUMN accelerator TO isolation;
-- Why the worker chose its isolation ("auto: VMs would not run under KVM here (...)"), for operators.
ALTER TABLE worker_heartbeats ADD COLUMN isolation_reason text;
