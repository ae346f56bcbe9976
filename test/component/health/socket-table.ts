/**
 * socket-table: what the kernel says this process holds, for leak assertions that do not
 * depend on Node's handle bookkeeping (the addon's sockets are not libuv handles).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** openFds counts this process's open file descriptors (/proc/self/fd, proc(5)). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** TcpSocketRow is one line of /proc/net/tcp or tcp6: addresses as the kernel prints them, state by name. */
export interface TcpSocketRow {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remotePort: number;
  readonly state: string;
}

/** TCP_STATES names the `st` column (include/net/tcp_states.h). */
const TCP_STATES: Readonly<Record<number, string>> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
};

/**
 * ipv4FromProc decodes /proc/net/tcp's address column: the __be32 printed with %08X as a
 * host-order (little-endian here) number, so the bytes read backwards.
 */
function ipv4FromProc(hex: string): string {
  const bytes = (hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16));
  return bytes.reverse().join('.');
}

/** tcpSocketsOnPort lists the TCP sockets (IPv4 and IPv6) whose local or remote port is `port`. */
export function tcpSocketsOnPort(port: number): TcpSocketRow[] {
  const rows: TcpSocketRow[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local = '', remote = '', state = ''] = line.trim().split(/\s+/);
      const [localHex = '', localPortHex = ''] = local.split(':');
      const remotePortHex = remote.split(':')[1] ?? '';
      const row = {
        localAddress: localHex.length === 8 ? ipv4FromProc(localHex) : localHex,
        localPort: parseInt(localPortHex, 16),
        remotePort: parseInt(remotePortHex, 16),
        state: TCP_STATES[parseInt(state, 16)] ?? state,
      };
      if (row.localPort === port || row.remotePort === port) rows.push(row);
    }
  }
  return rows;
}
