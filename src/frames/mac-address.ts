/**
 * mac-address: 48-bit Ethernet addresses as text ("02:00:5e:10:00:01") and bytes.
 */

/** MAC_BYTES is the length of an Ethernet (IEEE 802) address. */
export const MAC_BYTES = 6;

/** BROADCAST_MAC is ff:ff:ff:ff:ff:ff, the Ethernet broadcast address. */
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** isMacAddress says whether `text` is six colon-separated hex octets. */
export function isMacAddress(text: string): boolean {
  return MAC_PATTERN.test(text);
}

/**
 * macBytes parses colon-separated hex into 6 bytes. It throws a TypeError for anything else:
 * a MAC reaches the frame builders from the kernel's own IFLA_ADDRESS, so a bad one is a bug.
 */
export function macBytes(text: string): Buffer {
  if (!isMacAddress(text)) throw new TypeError(`"${text}" is not a MAC address (expected six hex octets like 02:00:00:00:0a:01)`);
  return Buffer.from(text.replaceAll(':', ''), 'hex');
}

/** formatMac writes 6 bytes as lower-case colon-separated hex, the form ip(8) prints. */
export function formatMac(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}
