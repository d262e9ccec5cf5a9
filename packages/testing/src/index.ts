/** @packageDocumentation Test kit: a real DNS server on loopback, scripted SMTP peers with fault injection, throw-away TLS certificates. */
export type { DnsQueryLogEntry, DnsServer, DnsServerOptions } from './dns/dns-server';
export { startDnsServer } from './dns/dns-server';
export type { SpfZonedata } from './dns/spf-zonedata';
export { fromSpfZonedata } from './dns/spf-zonedata';
export type {
  RecordedMessage,
  SmtpPeer,
  SmtpPeerBehaviour,
  SmtpPeerConnection,
  SmtpPeerEvent,
  SmtpPeerExtensions,
  SmtpPeerMessageInfo,
  SmtpPeerOptions,
  SmtpPeerReply,
  SmtpPeerStage,
} from './smtp/smtp-peer';
export { startSmtpPeer } from './smtp/smtp-peer';
export type {
  IssueOptions,
  PemPair,
  TestCertificates,
  TestCertificatesOptions,
  TestKeyAlgorithm,
} from './tls/certificates';
export { createTestCertificates } from './tls/certificates';
