/** @packageDocumentation RFC 7208 SPF evaluation (check_host) with exact lookup limits, macros and Received-SPF formatting. */
export {};
