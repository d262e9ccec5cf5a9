/**
 * Per-connection abuse limits on commands: malformed or out-of-order commands
 * (`maxBadCommands`) and junk commands that move no mail (`maxJunkCommands`, like Postfix's
 * smtpd_junk_command_limit). The session answers `421 4.7.0` and closes when one is over.
 * @internal
 */
import type { ResolvedLimits } from './options';

/** Counts bad and junk commands for one connection. @internal */
export class CommandCounters {
  private badCommands = 0;
  private junkCommands = 0;

  constructor(private readonly limits: ResolvedLimits) {}

  /** Counts a bad command; true when the limit is now reached. */
  bad(): boolean {
    this.badCommands++;
    return this.badCommands >= this.limits.maxBadCommands;
  }

  /** Counts a junk command; true when the limit is now exceeded. */
  junk(): boolean {
    this.junkCommands++;
    return this.junkCommands > this.limits.maxJunkCommands;
  }
}
