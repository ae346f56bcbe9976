/**
 * guest-lan: a host bridge that several guests join, e.g. two directors for a failover test.
 *
 * Everything lives in one fresh network namespace, so no traffic reaches the host's own
 * links: a bridge (br0) and one tap device per guest (tap0, tap1, ...). Pass `netns` and one
 * tap as `nics` to startGuest; the guest sees it as eth0. Tests may attach more namespaces
 * (a client, real servers) to br0 with veth pairs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** GuestLan is a bridge in its own network namespace, with a tap device per guest. */
export interface GuestLan {
  /** netns is the namespace holding the bridge and the taps. */
  readonly netns: string;
  /** bridge is the bridge's interface name inside netns. */
  readonly bridge: string;
  /** taps are the guests' attachment points, in the order asked for. */
  readonly taps: readonly string[];
  /** remove deletes the namespace and with it every device in it. Safe to call twice. */
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await execFileAsync('ip', args);
}

/**
 * createGuestLan makes namespace `netns` with bridge br0 and `guests` tap devices on it.
 * The namespace must not exist yet; on failure nothing is left behind.
 */
export async function createGuestLan(netns: string, guests: number): Promise<GuestLan> {
  await ip('netns', 'add', netns);
  const remove = async (): Promise<void> => {
    await execFileAsync('ip', ['netns', 'del', netns]).catch(() => undefined);
  };
  try {
    const bridge = 'br0';
    await ip('-n', netns, 'link', 'set', 'lo', 'up');
    await ip('-n', netns, 'link', 'add', bridge, 'type', 'bridge');
    // Without snooping the bridge floods multicast, as the IPVS sync daemon's 224.0.0.81
    // needs when no querier is present.
    await ip('-n', netns, 'link', 'set', bridge, 'type', 'bridge', 'mcast_snooping', '0');
    await ip('-n', netns, 'link', 'set', bridge, 'up');
    const taps: string[] = [];
    for (let i = 0; i < guests; i++) {
      const tap = `tap${i}`;
      await ip('-n', netns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap');
      await ip('-n', netns, 'link', 'set', tap, 'master', bridge);
      await ip('-n', netns, 'link', 'set', tap, 'up');
      taps.push(tap);
    }
    return { netns, bridge, taps, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
