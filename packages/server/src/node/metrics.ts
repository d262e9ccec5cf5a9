/** Counters a server keeps (read with `server.metrics()`). */
export interface ServerMetrics {
  /** Connections accepted since start. */
  readonly connectionsTotal: number;
  /** Connections open now. */
  readonly connectionsActive: number;
  /** Connections refused at connect (limits, shutdown, `openSession` threw). */
  readonly connectionsRefused: number;
  /** Messages acknowledged with 2yz after the body. */
  readonly messagesAccepted: number;
  /** Messages refused after the body (size, bare line endings, backend). */
  readonly messagesRefused: number;
  /** Octets of message bodies received (after unstuffing). */
  readonly bytesReceived: number;
  /** Every 4yz and 5yz reply sent, counted by reply code. */
  readonly rejectsByCode: Readonly<Record<number, number>>;
}

/** Mutable counters behind {@link ServerMetrics}. @internal */
export class MetricsCounter {
  connectionsTotal = 0;
  connectionsActive = 0;
  connectionsRefused = 0;
  messagesAccepted = 0;
  messagesRefused = 0;
  bytesReceived = 0;
  readonly rejectsByCode: Record<number, number> = {};

  reply(code: number): void {
    if (code >= 400) this.rejectsByCode[code] = (this.rejectsByCode[code] ?? 0) + 1;
  }

  snapshot(): ServerMetrics {
    return {
      connectionsTotal: this.connectionsTotal,
      connectionsActive: this.connectionsActive,
      connectionsRefused: this.connectionsRefused,
      messagesAccepted: this.messagesAccepted,
      messagesRefused: this.messagesRefused,
      bytesReceived: this.bytesReceived,
      rejectsByCode: { ...this.rejectsByCode },
    };
  }
}
