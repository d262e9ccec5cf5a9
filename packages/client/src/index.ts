/** @packageDocumentation ESMTP client: a sans-I/O ClientSession and a Node layer with STARTTLS, AUTH, pipelining, CHUNKING, per-recipient results and a pool. */
export {};
