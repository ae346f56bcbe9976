/**
 * parse-error: the one error every netlink decoder raises for bytes it cannot trust.
 */

/**
 * NetlinkParseError says that bytes from the kernel (or a fixture) are truncated or malformed.
 * `offset` is where in the buffer the decoder gave up, so a hex dump can be read against it.
 */
export class NetlinkParseError extends Error {
  readonly code = 'TANDEM_NETLINK_MALFORMED';
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`malformed netlink data at byte ${offset}: ${message}`);
    this.name = 'NetlinkParseError';
    this.offset = offset;
  }
}
