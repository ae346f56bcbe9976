/**
 * fake-announcer: an AnnouncePort that records what it would have sent. It builds the real
 * frame (so a bad VIP or MAC fails exactly as with the real announcer) and keeps it.
 */
import { Announcer, type AnnouncerOptions } from '../../src/kernel/announcer.js';
import type { AnnouncePort, AnnounceTarget } from '../../src/kernel/ports.js';

/** Announcement is one call: the VIP, where it went, and the frame's bytes. */
export interface Announcement {
  readonly vip: string;
  readonly target: AnnounceTarget;
  readonly frame: Buffer;
}

/** FakeAnnouncer records announcements; failWith makes the next sends fail like a down link. */
export class FakeAnnouncer implements AnnouncePort {
  readonly sent: Announcement[] = [];
  private failure: Error | undefined;
  private readonly inner: Announcer;
  private pending: { vip: string; target: AnnounceTarget } | undefined;

  constructor(options: AnnouncerOptions = {}) {
    this.inner = new Announcer(
      {
        sendFrame: (_ifindex, frame) => {
          if (this.failure !== undefined) throw this.failure;
          if (this.pending !== undefined) this.sent.push({ ...this.pending, frame });
        },
      },
      options,
    );
  }

  /** failWith makes every later send throw `error` (e.g. an ENETDOWN errno error) until cleared with undefined. */
  failWith(error: Error | undefined): void {
    this.failure = error;
  }

  announce(vip: string, target: AnnounceTarget): Promise<void> {
    this.pending = { vip, target };
    try {
      return this.inner.announce(vip, target);
    } finally {
      this.pending = undefined;
    }
  }
}
