/**
 * daemon-codec: a connection-sync daemon ↔ the nested IPVS_DAEMON_ATTR_* attributes.
 *
 * STATE u32 (1 master, 2 backup), MCAST_IFN string, SYNC_ID u32, and since Linux 4.3
 * SYNC_MAXLEN u16, MCAST_GROUP (4-byte in_addr) or MCAST_GROUP6 (16-byte in6_addr),
 * MCAST_PORT u16 and MCAST_TTL u8. MCAST_PORT is in HOST byte order, unlike the service and
 * real server ports (ip_vs_ctl.c reads it with nla_get_u16; seen on the wire as 0x2290 = 8848).
 * Order as ipvsadm 1.31 sends it: STATE, IFN, SYNC_ID, MAXLEN, PORT, TTL, GROUP.
 */
import type { AttributeSet } from '../netlink/attributes.js';
import { NetlinkParseError } from '../netlink/parse-error.js';
import type { AttributeWriter } from './attribute-writer.js';
import {
  IPVS_CMD_ATTR_DAEMON,
  IPVS_DAEMON_ATTR_MCAST_GROUP,
  IPVS_DAEMON_ATTR_MCAST_GROUP6,
  IPVS_DAEMON_ATTR_MCAST_IFN,
  IPVS_DAEMON_ATTR_MCAST_PORT,
  IPVS_DAEMON_ATTR_MCAST_TTL,
  IPVS_DAEMON_ATTR_STATE,
  IPVS_DAEMON_ATTR_SYNC_ID,
  IPVS_DAEMON_ATTR_SYNC_MAXLEN,
  IP_VS_IFNAME_MAXLEN,
  IP_VS_STATE_BACKUP,
  IP_VS_STATE_MASTER,
} from './constants.js';
import { NF_INET_ADDR_LEN, formatInetAddress, writeInetAddress } from './inet-address.js';
import { IpvsInputError } from './ipvs-error.js';
import type { SyncDaemon, SyncState } from './model.js';

/** syncStateNumber maps master/backup to IP_VS_STATE_MASTER/BACKUP. */
function syncStateNumber(state: SyncState): number {
  return state === 'master' ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP;
}

/** writeDaemonStart writes IPVS_CMD_ATTR_DAEMON for IPVS_CMD_NEW_DAEMON. */
export function writeDaemonStart(w: AttributeWriter, daemon: SyncDaemon): void {
  const state = syncStateNumber(daemon.state);
  if (!/^[^\s/:]+$/.test(daemon.mcastInterface) || Buffer.byteLength(daemon.mcastInterface) >= IP_VS_IFNAME_MAXLEN) {
    throw new IpvsInputError(`interface name "${daemon.mcastInterface}" is not a Linux interface name (1-15 bytes)`);
  }
  // The sync message header carries the syncid in one byte (struct ip_vs_sync_mesg in
  // ip_vs_sync.c), so a larger one could never match; ipvsadm refuses it too.
  checkRange(daemon.syncid, 0xff, 'syncid');
  w.openNested(IPVS_CMD_ATTR_DAEMON);
  w.u32(IPVS_DAEMON_ATTR_STATE, state);
  w.string(IPVS_DAEMON_ATTR_MCAST_IFN, daemon.mcastInterface);
  w.u32(IPVS_DAEMON_ATTR_SYNC_ID, daemon.syncid);
  if (daemon.maxlen !== undefined) {
    checkRange(daemon.maxlen, 0xffff, 'sync maxlen');
    w.u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, daemon.maxlen);
  }
  if (daemon.port !== undefined) {
    checkRange(daemon.port, 0xffff, 'mcast port');
    w.u16(IPVS_DAEMON_ATTR_MCAST_PORT, daemon.port);
  }
  if (daemon.ttl !== undefined) {
    checkRange(daemon.ttl, 0xff, 'mcast ttl');
    w.u8(IPVS_DAEMON_ATTR_MCAST_TTL, daemon.ttl);
  }
  if (daemon.group !== undefined) writeGroup(w, daemon.group);
  w.closeNested();
}

function writeGroup(w: AttributeWriter, group: string): void {
  const bytes = Buffer.alloc(NF_INET_ADDR_LEN);
  const family = writeInetAddress(bytes, 0, group);
  if (family === undefined) throw new IpvsInputError(`mcast group "${group}" is not an IP address`);
  if (family === 4) w.bytes(IPVS_DAEMON_ATTR_MCAST_GROUP, bytes.subarray(0, 4));
  else w.bytes(IPVS_DAEMON_ATTR_MCAST_GROUP6, bytes);
}

function checkRange(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new IpvsInputError(`${what} ${value} is not 0-${max}`);
}

/** writeDaemonStop writes IPVS_CMD_ATTR_DAEMON for IPVS_CMD_DEL_DAEMON: the kernel needs only STATE. */
export function writeDaemonStop(w: AttributeWriter, state: SyncState): void {
  const stateNumber = syncStateNumber(state);
  w.openNested(IPVS_CMD_ATTR_DAEMON);
  w.u32(IPVS_DAEMON_ATTR_STATE, stateNumber);
  w.closeNested();
}

/** decodeDaemon reads one IPVS_CMD_ATTR_DAEMON nest of a GET_DAEMON reply. */
export function decodeDaemon(set: AttributeSet): SyncDaemon {
  const stateNumber = set.require(set.u32(IPVS_DAEMON_ATTR_STATE), 'IPVS_DAEMON_ATTR_STATE');
  const state = stateNumber === IP_VS_STATE_MASTER ? 'master' : stateNumber === IP_VS_STATE_BACKUP ? 'backup' : undefined;
  if (state === undefined) throw new NetlinkParseError(`sync daemon state ${stateNumber} is not master or backup`, 0);
  const maxlen = set.u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN);
  const port = set.u16(IPVS_DAEMON_ATTR_MCAST_PORT);
  const ttl = set.u8(IPVS_DAEMON_ATTR_MCAST_TTL);
  const group = decodeGroup(set);
  return {
    state,
    mcastInterface: set.require(set.string(IPVS_DAEMON_ATTR_MCAST_IFN), 'IPVS_DAEMON_ATTR_MCAST_IFN'),
    syncid: set.require(set.u32(IPVS_DAEMON_ATTR_SYNC_ID), 'IPVS_DAEMON_ATTR_SYNC_ID'),
    ...(maxlen === undefined ? {} : { maxlen }),
    ...(group === undefined ? {} : { group }),
    ...(port === undefined ? {} : { port }),
    ...(ttl === undefined ? {} : { ttl }),
  };
}

function decodeGroup(set: AttributeSet): string | undefined {
  const v4 = set.bytes(IPVS_DAEMON_ATTR_MCAST_GROUP);
  if (v4 !== undefined) {
    if (v4.length < 4) throw new NetlinkParseError(`mcast group has ${v4.length} bytes, expected 4`, 0);
    return formatInetAddress(v4, 4);
  }
  const v6 = set.bytes(IPVS_DAEMON_ATTR_MCAST_GROUP6);
  if (v6 === undefined) return undefined;
  if (v6.length < NF_INET_ADDR_LEN) throw new NetlinkParseError(`mcast group6 has ${v6.length} bytes, expected 16`, 0);
  return formatInetAddress(v6, 6);
}
