/** @packageDocumentation Test kit: a real DNS server on loopback, scripted SMTP peers with fault injection, throw-away TLS certificates. */
export {};
