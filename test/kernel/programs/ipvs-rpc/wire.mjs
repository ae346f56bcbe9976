// wire.mjs: what the guest programs share: bigint-safe JSON, and a NetlinkTransport wrapper
// that writes each exchange as one JSON line (the golden fixtures' format, see
// test/fixtures/ipvs/README.md).

/** toJson is JSON.stringify with bigint as {"$bigint": "..."}. */
export function toJson(value) {
  return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? { $bigint: item.toString() } : item));
}

/** reviveJson is the JSON.parse reviver that undoes toJson. */
export function reviveJson(_key, value) {
  return value !== null && typeof value === 'object' && typeof value.$bigint === 'string' ? BigInt(value.$bigint) : value;
}

const hex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const message = (m) => ({ type: m.type, flags: m.flags, payload: hex(m.payload) });

/** recordingTransport passes calls through to `inner` and hands `write` one JSON line per exchange. */
export function recordingTransport(inner, write) {
  return {
    async request(request, operation) {
      try {
        const replies = await inner.request(request, operation);
        write(JSON.stringify({ kind: 'request', operation, request: message(request), replies: replies.map(message) }));
        return replies;
      } catch (error) {
        write(JSON.stringify({ kind: 'request', operation, request: message(request), errno: error.errno ?? null, code: error.code ?? null }));
        throw error;
      }
    },
    async batch(requests) {
      const outcomes = await inner.batch(requests);
      write(JSON.stringify({ kind: 'batch', requests: requests.map(message), outcomes: outcomes.map((o) => (o.ok ? { ok: true } : { ok: false, errno: o.errno })) }));
      return outcomes;
    },
    // One "request" line per dump, in request order, so a recording reads the same as when
    // list() dumped one service at a time. The parts are only valid inside the decoder.
    async dumpMany(requests, decode) {
      const lines = [];
      const outcomes = await inner.dumpMany(requests, (parts, index) => {
        lines[index] = { kind: 'request', operation: 'dump', request: message(requests[index]), replies: parts.map(message) };
        return decode(parts, index);
      });
      outcomes.forEach((o, i) => {
        write(JSON.stringify(o.ok ? lines[i] : { kind: 'request', operation: 'dump', request: message(requests[i]), errno: o.errno, code: null }));
      });
      return outcomes;
    },
    close() {
      inner.close();
    },
  };
}
