/**
 * http-status-line: reads the final status code from the start of an HTTP/1.x response
 * (RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason-phrase] CRLF). A check
 * without a body expectation needs nothing else, so it skips Node's full parser and its
 * per-request objects. Interim 1xx responses (RFC 9110 §15.2, e.g. 103 Early Hints) are
 * skipped to the final one.
 */

/** HEAD_LIMIT_BYTES bounds what is buffered while looking for the status: a status line is short. */
export const HEAD_LIMIT_BYTES = 16 * 1024;

/** StatusLineResult is the final status, a need for more bytes, or why the bytes are not HTTP. */
export type StatusLineResult = { readonly kind: 'status'; readonly status: number } | { readonly kind: 'more' } | { readonly kind: 'malformed'; readonly detail: string };

const MORE: StatusLineResult = { kind: 'more' };
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: |\r\n)/;
const CRLF = Buffer.from('\r\n');
const END_OF_HEAD = Buffer.from('\r\n\r\n');

/** readStatusLine looks at the bytes received so far (all of them, from the first). */
export function readStatusLine(received: Buffer): StatusLineResult {
  let start = 0;
  for (;;) {
    const lineEnd = received.indexOf(CRLF, start);
    if (lineEnd < 0) return received.length - start > HEAD_LIMIT_BYTES ? { kind: 'malformed', detail: 'no status line in the first 16 KiB' } : MORE;
    const match = STATUS_LINE.exec(received.toString('latin1', start, lineEnd + 2));
    if (match === null) return { kind: 'malformed', detail: `not an HTTP/1.x status line: ${JSON.stringify(received.toString('latin1', start, Math.min(lineEnd, start + 40)))}` };
    const status = Number(match[1]);
    if (status >= 200) return { kind: 'status', status };
    if (status < 100) return { kind: 'malformed', detail: `status ${status} is below 100` };
    // An interim response: its header block ends at an empty line; the final status follows.
    const headEnd = received.indexOf(END_OF_HEAD, start);
    if (headEnd < 0) return received.length > HEAD_LIMIT_BYTES ? { kind: 'malformed', detail: 'interim responses exceed 16 KiB' } : MORE;
    start = headEnd + END_OF_HEAD.length;
  }
}
