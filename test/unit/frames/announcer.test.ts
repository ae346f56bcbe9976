import { describe, expect, it } from 'vitest';
import { decodeArp } from '../../../src/frames/arp.js';
import { decodeNeighbourAdvert } from '../../../src/frames/neighbour-advert.js';
import { Announcer } from '../../../src/kernel/announcer.js';
import { Notifier } from '../../../src/kernel/notify.js';
import type { NotifyPort } from '../../../src/kernel/ports.js';
import { FakeAnnouncer } from '../../fakes/fake-announcer.js';

const target = { ifindex: 7, mac: '02:00:00:00:0e:01' };

function recordingAnnouncer(options: ConstructorParameters<typeof Announcer>[1] = {}): { announcer: Announcer; sent: { ifindex: number; frame: Buffer }[] } {
  const sent: { ifindex: number; frame: Buffer }[] = [];
  return { announcer: new Announcer({ sendFrame: (ifindex, frame) => sent.push({ ifindex, frame }) }, options), sent };
}

describe('Announcer', () => {
  it('sends one gratuitous ARP request for an IPv4 VIP out of the given interface', async () => {
    const { announcer, sent } = recordingAnnouncer();
    await announcer.announce('192.0.2.5', target);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.ifindex).toBe(7);
    expect(decodeArp(sent[0]?.frame ?? Buffer.alloc(0))).toMatchObject({ ok: true, value: { operation: 1, senderIp: '192.0.2.5', senderMac: target.mac } });
  });

  it('sends the reply form when configured', async () => {
    const { announcer, sent } = recordingAnnouncer({ garpOperation: 'reply' });
    await announcer.announce('192.0.2.5', target);
    expect(decodeArp(sent[0]?.frame ?? Buffer.alloc(0))).toMatchObject({ ok: true, value: { operation: 2 } });
  });

  it('sends one unsolicited NA for an IPv6 VIP', async () => {
    const { announcer, sent } = recordingAnnouncer();
    await announcer.announce('2001:db8::5', target);
    expect(decodeNeighbourAdvert(sent[0]?.frame ?? Buffer.alloc(0))).toMatchObject({ ok: true, value: { target: '2001:db8::5', override: true, targetMac: target.mac } });
  });

  it('rejects (never throws synchronously) for a bad VIP or a failed send', async () => {
    const { announcer, sent } = recordingAnnouncer();
    await expect(announcer.announce('not-an-ip', target)).rejects.toThrow(TypeError);
    expect(sent).toEqual([]);
    const down = Object.assign(new Error('sendto ENETDOWN'), { code: 'ENETDOWN' });
    const failing = new Announcer({ sendFrame: () => { throw down; } });
    await expect(failing.announce('192.0.2.5', target)).rejects.toBe(down);
  });

  it('NotifyPort is what the sd_notify Notifier offers', () => {
    const port: NotifyPort = new Notifier({ env: {} });
    expect(() => { port.ready('ok'); port.watchdog(); }).not.toThrow();
  });
});

describe('FakeAnnouncer', () => {
  it('records the real frame per call and fails like a down link when told to', async () => {
    const fake = new FakeAnnouncer();
    await fake.announce('2001:db8::5', target);
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({ vip: '2001:db8::5', target });
    expect(decodeNeighbourAdvert(fake.sent[0]?.frame ?? Buffer.alloc(0)).ok).toBe(true);
    fake.failWith(Object.assign(new Error('ENETDOWN'), { code: 'ENETDOWN' }));
    await expect(fake.announce('192.0.2.5', target)).rejects.toMatchObject({ code: 'ENETDOWN' });
    await expect(fake.announce('bad', target)).rejects.toThrow(TypeError);
    expect(fake.sent).toHaveLength(1);
  });
});
