/**
 * config-digest: SHA-256 over the settings both directors must agree on, carried in every advert
 * so that a mismatch is a loud alarm instead of a silent "both master".
 *
 * Covered (the election is wrong if these differ): groupId, advertIntervalMs, the set of member
 * node ids, and the set of VIPs. Not covered, on purpose:
 * - keys: a rotation must not change the digest, and a key mismatch already shows as 'bad-auth';
 * - priority, preempt, preemptDelayMs, tracking, stall and handover settings: they are per-node
 *   choices that legitimately differ between the two directors.
 *
 * The encoding is canonical: a domain tag, then one `name=value` line per field, with sets
 * sorted and addresses in their canonical text form (so "2001:DB8:0::1" equals "2001:db8::1").
 */
import { createHash } from 'node:crypto';
import { SocketAddress, isIPv6 } from 'node:net';
import type { ElectionOptions } from './options.js';

/** CONFIG_DIGEST_DOMAIN versions the canonical encoding; change it when the field list changes. */
export const CONFIG_DIGEST_DOMAIN = 'tandem election config v1';

/** configDigest returns the 32-byte SHA-256 of the canonical encoding of options. */
export function configDigest(
  options: Pick<ElectionOptions, 'groupId' | 'advertIntervalMs' | 'nodeId' | 'peerNodeIds' | 'vips'>,
): Uint8Array {
  const members = [options.nodeId, ...options.peerNodeIds].sort((a, b) => a - b);
  const vips = options.vips.map(canonicalAddress).sort();
  const text = [
    CONFIG_DIGEST_DOMAIN,
    `groupId=${options.groupId}`,
    `advertIntervalMs=${options.advertIntervalMs}`,
    `members=${members.join(',')}`,
    `vips=${vips.join(',')}`,
  ].join('\n');
  return createHash('sha256').update(text, 'utf8').digest();
}

/** digestHex renders a digest for logs and alarms; the first 8 bytes identify it well enough. */
export function digestHex(digest: Uint8Array): string {
  return Buffer.from(digest.subarray(0, 8)).toString('hex');
}

function canonicalAddress(address: string): string {
  return new SocketAddress({ address, family: isIPv6(address) ? 'ipv6' : 'ipv4' }).address;
}
