/**
 * config-codec: the connection timeouts (IPVS_CMD_SET/GET_CONFIG, ipvsadm --set / -L --timeout)
 * and the version banner (IPVS_CMD_GET_INFO). Timeouts are first-level u32 attributes in
 * seconds; a timeout left out (or 0) is left unchanged by the kernel (ip_vs_set_timeout).
 */
import type { AttributeSet } from '../netlink/attributes.js';
import type { AttributeWriter } from './attribute-writer.js';
import {
  IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
  IPVS_INFO_ATTR_CONN_TAB_SIZE,
  IPVS_INFO_ATTR_VERSION,
} from './constants.js';
import { IpvsInputError } from './ipvs-error.js';
import type { IpvsInfo, Timeouts } from './model.js';

/** writeTimeouts writes the timeouts given, in ipvsadm's order (tcp, tcpfin, udp). */
export function writeTimeouts(w: AttributeWriter, timeouts: Partial<Timeouts>): void {
  const entries: [number, number | undefined, string][] = [
    [IPVS_CMD_ATTR_TIMEOUT_TCP, timeouts.tcpSeconds, 'tcp'],
    [IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, timeouts.tcpFinSeconds, 'tcpfin'],
    [IPVS_CMD_ATTR_TIMEOUT_UDP, timeouts.udpSeconds, 'udp'],
  ];
  for (const [type, seconds, name] of entries) {
    if (seconds === undefined) continue;
    // The kernel multiplies by HZ into an int, so it refuses what overflows (ip_vs_set_timeout).
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0x7fffffff / 1000) {
      throw new IpvsInputError(`${name} timeout ${seconds} s is out of range`);
    }
    w.u32(type, seconds);
  }
}

/** decodeTimeouts reads a GET_CONFIG reply. */
export function decodeTimeouts(set: AttributeSet): Timeouts {
  return {
    tcpSeconds: set.require(set.u32(IPVS_CMD_ATTR_TIMEOUT_TCP), 'IPVS_CMD_ATTR_TIMEOUT_TCP'),
    tcpFinSeconds: set.require(set.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN), 'IPVS_CMD_ATTR_TIMEOUT_TCP_FIN'),
    udpSeconds: set.require(set.u32(IPVS_CMD_ATTR_TIMEOUT_UDP), 'IPVS_CMD_ATTR_TIMEOUT_UDP'),
  };
}

/** decodeInfo reads a GET_INFO reply; the version is IP_VS_VERSION_CODE, one byte per part. */
export function decodeInfo(set: AttributeSet): IpvsInfo {
  const code = set.require(set.u32(IPVS_INFO_ATTR_VERSION), 'IPVS_INFO_ATTR_VERSION');
  return {
    version: `${(code >> 16) & 0xff}.${(code >> 8) & 0xff}.${code & 0xff}`,
    connectionTableSize: set.require(set.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE), 'IPVS_INFO_ATTR_CONN_TAB_SIZE'),
  };
}
