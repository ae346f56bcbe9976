/**
 * checksum: the Internet checksum (RFC 1071) and the ICMPv6 checksum over the IPv6
 * pseudo-header (RFC 4443 §2.3, pseudo-header layout in RFC 8200 §8.1).
 */

/** IPPROTO_ICMPV6 is ICMPv6's next-header value (IANA protocol numbers; <netinet/in.h>). */
export const IPPROTO_ICMPV6 = 58;

/**
 * internetChecksum is the 16-bit one's complement of the one's complement sum of `parts`,
 * read as one big-endian byte stream (RFC 1071 §1). An odd trailing byte is padded with zero.
 * Each part except the last must have an even length, which every caller here guarantees.
 */
export function internetChecksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) {
      sum += ((part[i] ?? 0) << 8) | (part[i + 1] ?? 0);
    }
  }
  // Fold the carries back in (end-around carry); two folds suffice for any 32-bit sum.
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * icmpv6Checksum covers the pseudo-header (source, destination, upper-layer length, next
 * header 58) and the ICMPv6 message whose checksum field is zero or already filled in: a
 * correct message sums to 0, which is how decoders verify it.
 */
export function icmpv6Checksum(source: Uint8Array, destination: Uint8Array, message: Uint8Array): number {
  const lengthAndNext = Buffer.alloc(8);
  lengthAndNext.writeUInt32BE(message.length, 0);
  lengthAndNext.writeUInt32BE(IPPROTO_ICMPV6, 4);
  return internetChecksum([source, destination, lengthAndNext, message]);
}
