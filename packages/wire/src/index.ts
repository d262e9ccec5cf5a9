/** @packageDocumentation Sans-I/O SMTP protocol core: commands, paths, replies, EHLO capabilities, xtext and DATA/BDAT framing. Zero dependencies. */
export {};
