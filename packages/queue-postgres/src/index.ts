/** @packageDocumentation Mail queue on PostgreSQL for many workers on many machines (FOR UPDATE SKIP LOCKED leases). */
export {};
