/** Reading the final status from an HTTP/1.x response (RFC 9112 §4), however the bytes arrive. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEAD_LIMIT_BYTES, readStatusLine } from '../../../src/health/http-status-line.js';

const read = (text: string) => readStatusLine(Buffer.from(text, 'latin1'));

describe('readStatusLine', () => {
  it.each([
    ['HTTP/1.1 200 OK\r\n', 200],
    ['HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n', 503],
    ['HTTP/1.1 204\r\n', 204],
    ['HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 301 Moved\r\n', 301],
  ])('reads %j as %i', (text, status) => {
    expect(read(text)).toEqual({ kind: 'status', status });
  });

  it.each(['', 'HTTP/1.1 200 O', 'HTTP/1.1 100 Continue\r\n', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2'])('asks for more after %j', (text) => {
    expect(read(text)).toEqual({ kind: 'more' });
  });

  it.each(['SSH-2.0-OpenSSH_9.2\r\n', 'HTTP/2 200\r\n', 'HTTP/1.1 20 OK\r\n', 'HTTP/1.1 099 Low\r\n\r\n', '\u0015\u0003\u0001\u0000\u0002\u0002\u0050\r\n'])('refuses %j', (text) => {
    expect(read(text).kind).toBe('malformed');
  });

  it('gives up on a head that never ends a line', () => {
    expect(read('x'.repeat(HEAD_LIMIT_BYTES + 1))).toEqual({ kind: 'malformed', detail: 'no status line in the first 16 KiB' });
  });

  it('reaches the same verdict whatever the arrival split', () => {
    const response = 'HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 404 Not Found\r\nServer: t\r\n\r\nbody';
    fc.assert(
      fc.property(fc.integer({ min: 0, max: response.length }), (cut) => {
        const first = read(response.slice(0, cut));
        // A prefix is either "more" or, once the final status line is complete, already the verdict.
        expect(first.kind === 'more' || (first.kind === 'status' && first.status === 404)).toBe(true);
        expect(read(response)).toEqual({ kind: 'status', status: 404 });
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(['status', 'more', 'malformed']).toContain(readStatusLine(Buffer.from(bytes)).kind);
      }),
      { numRuns: 2000 },
    );
  });
});
