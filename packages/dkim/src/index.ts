/** @packageDocumentation RFC 6376 / RFC 8463 DKIM: a streaming signer (RSA and Ed25519 in one pass) and a verifier. */
export {};
