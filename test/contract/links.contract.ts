/**
 * links.contract: what every LinkPort must do, run against the fake (always) and the kernel
 * in a network namespace (root tier).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LinkEvent, LinkPort, ResyncEvent } from '../../src/kernel/ports.js';
import { EventRecorder } from './addresses-and-links-recorder.js';

/** LinkPortFixture is a port plus one Ethernet link (up, with carrier) the test may flip. */
export interface LinkPortFixture {
  readonly port: LinkPort;
  readonly name: string;
  readonly mac: string;
  readonly mtu: number;
  /** setUp is `ip link set NAME up|down` on the fixture's link. */
  setUp(up: boolean): Promise<void> | void;
  close(): Promise<void> | void;
}

/** linkPortContract registers the suite; `makeFixture` runs before each test. */
export function linkPortContract(name: string, makeFixture: () => Promise<LinkPortFixture>): void {
  describe(`LinkPort contract: ${name}`, () => {
    let fixture: LinkPortFixture;
    beforeEach(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('lists loopback and the link with its MAC, MTU and state', async () => {
      const links = await fixture.port.list();
      expect(links.find((l) => l.name === 'lo')).toMatchObject({ index: 1, mtu: 65536 });
      expect(links.find((l) => l.name === fixture.name)).toMatchObject({
        mac: fixture.mac,
        mtu: fixture.mtu,
        up: true,
        lowerUp: true,
        running: true,
        operState: 'up',
      });
    });

    it('finds a link by name, and nothing for an unknown name', async () => {
      const listed = (await fixture.port.list()).find((l) => l.name === fixture.name);
      expect(await fixture.port.byName(fixture.name)).toEqual(listed);
      expect(await fixture.port.byName('tandem-none0')).toBeUndefined();
    });

    it('notifies a link going down and coming back', async () => {
      const recorder = new EventRecorder<LinkEvent | ResyncEvent>();
      const unsubscribe = fixture.port.subscribe(recorder.handler);
      const ours = (up: boolean) => (e: LinkEvent | ResyncEvent) => e.kind === 'link' && e.link.name === fixture.name && e.link.up === up;
      try {
        await fixture.setUp(false);
        expect(await recorder.next('link-down event', ours(false))).toMatchObject({
          deleted: false,
          link: { mac: fixture.mac, up: false, lowerUp: false, running: false, operState: 'down' },
        });
        await fixture.setUp(true);
        expect(await recorder.next('link-up event', ours(true))).toMatchObject({ deleted: false, link: { up: true } });
      } finally {
        unsubscribe();
      }
    });
  });
}
