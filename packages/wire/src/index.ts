/**
 * @packageDocumentation
 * Sans-I/O SMTP protocol core: commands, paths, replies, EHLO capabilities, xtext and
 * DATA/BDAT framing. Zero dependencies, no `node:*` imports, `Uint8Array` in and out.
 */
export { type BdatChunk, type BdatFramerOptions, frameBdat } from './bdat';
export {
  type AuthCommand,
  type BdatCommand,
  type Command,
  type DsnNotify,
  type EsmtpParameter,
  formatCommand,
  type HelloCommand,
  type HelpNoopCommand,
  MAX_COMMAND_LINE_LENGTH,
  type MailCommand,
  type MailParameters,
  type OriginalRecipient,
  parseCommand,
  type RcptCommand,
  type RcptParameters,
  type SimpleCommand,
  type Verb,
  type VrfyExpnCommand,
} from './command';
export {
  CommandDecoder,
  type CommandDecoderItem,
  type CommandDecoderOptions,
  type TextLineItem,
} from './command-decoder';
export {
  type BareLineEndingPolicy,
  DataDecoder,
  type DataDecoderItem,
  type DataDecoderOptions,
  type DataResult,
} from './data-decoder';
export { DataEncoder, type DataEncoderOptions, encodeData } from './data-encoder';
export { type EhloCapabilities, parseEhlo } from './ehlo';
export {
  isSmtpError,
  isSmtpReplyError,
  isSmtpSyntaxError,
  SmtpError,
  type SmtpErrorCode,
  type SmtpErrorOptions,
  SmtpReplyError,
  type SmtpReplyErrorOptions,
  SmtpSyntaxError,
} from './errors';
export {
  type AddressLiteral,
  type FormatPathOptions,
  formatPath,
  MAX_DOMAIN_LENGTH,
  MAX_LOCAL_PART_LENGTH,
  MAX_PATH_LENGTH,
  type Mailbox,
  type Path,
  parseMailbox,
  parsePath,
} from './path';
export { type EnhancedStatusCode, formatReply, MAX_REPLY_LINE_LENGTH, parseReply, type Reply } from './reply';
export { ReplyDecoder, type ReplyDecoderOptions } from './reply-decoder';
export { decodeXtext, encodeXtext } from './xtext';
