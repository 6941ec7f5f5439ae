/** A short beep per bell cue, synthesised with WebAudio (no sound files to load). */
import type { Cue } from "../lib/protocol";

const TONES: Record<Cue, number[]> = {
  seating: [660], // one low beep
  start: [880, 880], // two
  warning: [990], // one high
  end: [880, 660, 440], // falling
};

export class Bell {
  private context: AudioContext | null = null;

  /** Whether the browser lets it play (autoplay policies need a click first). */
  get blocked(): boolean {
    return this.context?.state === "suspended";
  }

  /** Create or wake the audio context; call from a click to satisfy autoplay rules. */
  unlock(): void {
    this.context ??= new AudioContext();
    if (this.context.state === "suspended") void this.context.resume();
  }

  ring(cue: Cue): void {
    this.unlock();
    const ctx = this.context!;
    const start = ctx.currentTime + 0.05;
    (TONES[cue] ?? [880]).forEach((freq, i) => {
      const t = start + i * 0.35;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.5, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.32);
    });
  }
}
