/** @packageDocumentation A durable mail queue interface with per-recipient state and leases, an in-memory driver and the contract suite every driver passes. */
export {};
