/**
 * addresses.contract: what every AddressPort must do, run against the fake (always) and the
 * kernel in a network namespace (root tier). Addresses come from TEST-NET ranges only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AddressEvent, AddressPort, ResyncEvent } from '../../src/kernel/ports.js';
import { IFA_F_NODAD, IFA_F_TENTATIVE } from '../../src/kernel/rtnetlink/constants.js';
import { NetlinkError } from '../../src/netlink/netlink-error.js';
import { EventRecorder } from './addresses-and-links-recorder.js';

/** AddressPortFixture is a port plus two interfaces (up) whose addresses it may change. */
export interface AddressPortFixture {
  readonly port: AddressPort;
  readonly ifindex: number;
  readonly otherIfindex: number;
  /** missingIfindex names no interface. */
  readonly missingIfindex: number;
  close(): Promise<void> | void;
}

/** addressPortContract registers the suite; `makeFixture` runs before each test. */
export function addressPortContract(name: string, makeFixture: () => Promise<AddressPortFixture>): void {
  describe(`AddressPort contract: ${name}`, () => {
    let fixture: AddressPortFixture;
    beforeEach(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('adds an IPv4 address once; a second add is already-present', async () => {
      const { port, ifindex } = fixture;
      const spec = { ifindex, address: '192.0.2.10', prefixLength: 24 };
      expect(await port.add(spec)).toBe('added');
      expect(await port.add(spec)).toBe('already-present');
      const listed = (await port.list(ifindex)).filter((a) => a.address === '192.0.2.10');
      expect(listed).toMatchObject([{ ifindex, family: 4, prefixLength: 24 }]);
    });

    it('adds an IPv6 VIP without DAD, listed in canonical form and never tentative', async () => {
      const { port, ifindex } = fixture;
      expect(await port.add({ ifindex, address: '2001:DB8:0:0::10', prefixLength: 64 })).toBe('added');
      const [vip] = (await port.list(ifindex)).filter((a) => a.address === '2001:db8::10');
      expect(vip).toMatchObject({ ifindex, family: 6, prefixLength: 64 });
      expect((vip?.flags ?? 0) & IFA_F_NODAD).toBe(IFA_F_NODAD);
      expect((vip?.flags ?? 0) & IFA_F_TENTATIVE).toBe(0);
    });

    it('treats the same IPv6 address with another prefix length as already present', async () => {
      const { port, ifindex } = fixture;
      await port.add({ ifindex, address: '2001:db8::20', prefixLength: 64 });
      expect(await port.add({ ifindex, address: '2001:db8::20', prefixLength: 128 })).toBe('already-present');
    });

    it('removes only the exact address and prefix length; a second remove is absent', async () => {
      const { port, ifindex } = fixture;
      await port.add({ ifindex, address: '198.51.100.7', prefixLength: 32 });
      expect(await port.remove({ ifindex, address: '198.51.100.7', prefixLength: 24 })).toBe('absent');
      expect((await port.list(ifindex)).map((a) => a.address)).toContain('198.51.100.7');
      expect(await port.remove({ ifindex, address: '198.51.100.7', prefixLength: 32 })).toBe('removed');
      expect((await port.list(ifindex)).map((a) => a.address)).not.toContain('198.51.100.7');
      expect(await port.remove({ ifindex, address: '198.51.100.7', prefixLength: 32 })).toBe('absent');
    });

    it('lists one interface or all of them', async () => {
      const { port, ifindex, otherIfindex } = fixture;
      await port.add({ ifindex, address: '192.0.2.11', prefixLength: 32 });
      await port.add({ ifindex: otherIfindex, address: '192.0.2.12', prefixLength: 32 });
      const mine = (await port.list(ifindex)).map((a) => a.address);
      expect(mine).toContain('192.0.2.11');
      expect(mine).not.toContain('192.0.2.12');
      expect((await port.list()).map((a) => a.address)).toEqual(expect.arrayContaining(['192.0.2.11', '192.0.2.12']));
    });

    it('refuses an interface that does not exist with ENODEV and a message naming both', async () => {
      const { port, missingIfindex } = fixture;
      const attempt = port.add({ ifindex: missingIfindex, address: '192.0.2.13', prefixLength: 32 });
      await expect(attempt).rejects.toBeInstanceOf(NetlinkError);
      await expect(attempt).rejects.toMatchObject({ code: 'ENODEV' });
      await expect(attempt).rejects.toThrow(`add address 192.0.2.13/32 to interface index ${missingIfindex}`);
      await expect(attempt).rejects.toThrow(/re-read the links/);
    });

    it('refuses text that is not an address before asking the kernel', async () => {
      await expect(fixture.port.add({ ifindex: fixture.ifindex, address: '192.0.2', prefixLength: 32 })).rejects.toThrow(TypeError);
    });

    it('notifies additions and removals until unsubscribed', async () => {
      const { port, ifindex } = fixture;
      const recorder = new EventRecorder<AddressEvent | ResyncEvent>();
      const unsubscribe = port.subscribe(recorder.handler);
      try {
        const isVip = (change: 'added' | 'removed') => (e: AddressEvent | ResyncEvent) =>
          e.kind === 'address' && e.change === change && e.address.address === '2001:db8::30';
        await port.add({ ifindex, address: '2001:db8::30', prefixLength: 128 });
        expect(await recorder.next('added event', isVip('added'))).toMatchObject({ address: { ifindex, family: 6, prefixLength: 128 } });
        await port.remove({ ifindex, address: '2001:db8::30', prefixLength: 128 });
        await recorder.next('removed event', isVip('removed'));
      } finally {
        unsubscribe();
      }
      recorder.clear();
      await port.add({ ifindex, address: '2001:db8::31', prefixLength: 128 });
      // A barrier: a fresh subscription sees the next change, the old one must have seen none.
      const after = new EventRecorder<AddressEvent | ResyncEvent>();
      const stop = port.subscribe(after.handler);
      await port.remove({ ifindex, address: '2001:db8::31', prefixLength: 128 });
      await after.next('removed event after resubscribing', (e) => e.kind === 'address' && e.change === 'removed');
      stop();
      expect(recorder.events).toEqual([]);
    });
  });
}
