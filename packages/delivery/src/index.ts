/** @packageDocumentation Outbound delivery worker: MX routing, TLS policy and MTA-STS, retries for days, DSN bounces; plus sendDirect. */
export {};
