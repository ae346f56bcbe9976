/**
 * announcer: "announce once" for a VIP. It builds the gratuitous ARP (IPv4) or unsolicited
 * neighbour advertisement (IPv6) and sends it out of the VIP's interface. How many, how often
 * and when to refresh belong to the VIP owner.
 */
import { type GarpOperation, buildGratuitousArp } from '../frames/arp.js';
import { requireInetBytes } from '../frames/inet-bytes.js';
import { buildUnsolicitedAdvert } from '../frames/neighbour-advert.js';
import type { AnnouncePort, AnnounceTarget, FrameSender } from './ports.js';

/** AnnouncerOptions chooses the ARP form; see GarpOperation for why 'request' is the default. */
export interface AnnouncerOptions {
  readonly garpOperation?: GarpOperation;
}

/** Announcer sends announcement frames through a packet socket (src/kernel/packet-socket.ts). */
export class Announcer implements AnnouncePort {
  private readonly sender: FrameSender;
  private readonly garpOperation: GarpOperation;

  constructor(sender: FrameSender, options: AnnouncerOptions = {}) {
    this.sender = sender;
    this.garpOperation = options.garpOperation ?? 'request';
  }

  /**
   * announce sends one frame for `vip` out of `target.ifindex`, claiming `target.mac`. It
   * rejects with a TypeError for text that is not an IP address, and with the socket's errno
   * error when the send fails.
   */
  announce(vip: string, target: AnnounceTarget): Promise<void> {
    try {
      const frame =
        requireInetBytes(vip).family === 4
          ? buildGratuitousArp({ vip, mac: target.mac, operation: this.garpOperation })
          : buildUnsolicitedAdvert({ vip, mac: target.mac });
      this.sender.sendFrame(target.ifindex, frame);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
