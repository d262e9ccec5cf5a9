/** @packageDocumentation SMTP/LMTP server: a sans-I/O ServerSession and a Node listener with STARTTLS, AUTH, CHUNKING, limits and smuggling-proof DATA. */
export {};
