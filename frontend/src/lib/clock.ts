/**
 * The server clock from ping/pong samples, NTP-style (mirrors server/client/clocksync.py). Pure:
 * times are arguments.
 *
 * A ping sent at client time t0 is answered with server time s and arrives back at client
 * time t1: rtt = t1 - t0, offset (server - client) ≈ s - (t0 + t1) / 2, wrong by at most
 * rtt / 2. Of the last few samples, the one with the smallest rtt waited least in queues,
 * so its offset is the best estimate.
 */

export interface Sample {
  sentMs: number; // t0: client clock when the ping was sent
  receivedMs: number; // t1: client clock when the pong arrived
  serverMs: number; // s: server clock in the pong
}

export function rttOf(sample: Sample): number {
  return sample.receivedMs - sample.sentMs;
}

/** Server clock minus client clock, within ±rtt/2. */
export function offsetOf(sample: Sample): number {
  return sample.serverMs - (sample.sentMs + sample.receivedMs) / 2;
}

export class ClockOffset {
  private readonly kept: Sample[] = [];
  private bestSample: Sample | null = null;

  constructor(readonly window = 8) {
    if (!(window >= 1)) throw new RangeError("window must be at least 1");
  }

  /** Keep the sample; one with a negative rtt (the client clock stepped back) is ignored. */
  add(sample: Sample): void {
    if (rttOf(sample) < 0) return;
    this.kept.push(sample);
    if (this.kept.length > this.window) this.kept.shift();
    let best = this.kept[0]!;
    for (const s of this.kept) if (rttOf(s) < rttOf(best)) best = s; // the earliest of equals
    this.bestSample = best;
  }

  /** Forget every sample (after the client clock jumped). */
  clear(): void {
    this.kept.length = 0;
    this.bestSample = null;
  }

  get samples(): readonly Sample[] {
    return [...this.kept];
  }

  /** The kept sample with the smallest rtt (the earliest of equals). */
  get best(): Sample | null {
    return this.bestSample;
  }

  get offsetMs(): number | null {
    return this.bestSample === null ? null : offsetOf(this.bestSample);
  }

  get rttMs(): number | null {
    return this.bestSample === null ? null : rttOf(this.bestSample);
  }

  /** The server clock at client time `clientNowMs`; throws before any sample. */
  serverNowMs(clientNowMs: number): number {
    if (this.bestSample === null) throw new Error("no clock sample yet: ping the server first");
    return clientNowMs + offsetOf(this.bestSample);
  }
}
