/**
 * dns-parse-error: the errors of the DNS message codec. A response that cannot be parsed is
 * turned into a 'protocol' check failure by the dns checker; the codec itself just refuses it.
 */

/** DnsParseError says DNS bytes are truncated or malformed; `offset` is where decoding stopped. */
export class DnsParseError extends Error {
  override readonly name = 'DnsParseError';
  readonly code = 'TANDEM_DNS_MALFORMED';
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`malformed DNS message at byte ${offset}: ${message}`);
    this.offset = offset;
  }
}

/** DnsEncodeError says a message cannot be encoded, such as a name label over 63 bytes. */
export class DnsEncodeError extends Error {
  override readonly name = 'DnsEncodeError';
  readonly code = 'TANDEM_DNS_UNENCODABLE';

  constructor(message: string) {
    super(`cannot encode DNS message: ${message}. Fix the name or record in the config.`);
  }
}
