/**
 * socket-failure: turns the errors Node raises on sockets, TLS and child processes into failure
 * outcomes. The errno names are Linux's (errno(3)); the TLS names are OpenSSL's verify codes as
 * Node reports them in `error.code`.
 */
import { failed, type CheckFailure, type FailureReason } from './check-result.js';

/** ERRNO_REASONS maps the errno names a probe meets to the reason an operator reads. */
const ERRNO_REASONS: Readonly<Record<string, FailureReason>> = {
  // A RST answering the SYN, or ICMP port unreachable on a connected UDP socket.
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  ETIMEDOUT: 'timeout',
  // The probe could not even start here: sourceAddress is not configured on this host, or out of ports/files.
  EADDRNOTAVAIL: 'local',
  EADDRINUSE: 'local',
  EMFILE: 'local',
  ENFILE: 'local',
  ENOBUFS: 'local',
  EACCES: 'local',
  EPERM: 'local',
  EINVAL: 'local',
};

/** errorCode reads Node's string `code` from an error-like value. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** isTlsError tells certificate and handshake failures apart from transport ones. */
function isTlsError(code: string): boolean {
  return code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
}

/** reasonOf classifies one error code; see failureFromError. */
function reasonOf(code: string | undefined): FailureReason {
  if (code === undefined) return 'protocol';
  const known = ERRNO_REASONS[code];
  if (known !== undefined) return known;
  if (isTlsError(code)) return 'tls';
  // Node's own ERR_* codes (bad port, socket state) mean we could not make the attempt; the
  // HTTP parser's HPE_* and anything else mean the peer sent something we cannot read.
  return code.startsWith('ERR_') ? 'local' : 'protocol';
}

/** failureFromErrno classifies a system call that failed with errno `code` ("ECONNREFUSED"); `detail` says where. */
export function failureFromErrno(code: string, detail: string): CheckFailure {
  return failed(reasonOf(code), detail);
}

/** failureFromError classifies a socket, TLS, HTTP parser or spawn error as a failure outcome. */
export function failureFromError(error: unknown): CheckFailure {
  const message = error instanceof Error ? error.message : String(error);
  return failed(reasonOf(errorCode(error)), message);
}
