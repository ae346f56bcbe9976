import { afterEach, describe, expect, it } from 'vitest';
import { attrNested, attrString, attrU16, attrU32 } from '../../../src/netlink/attributes.js';
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_ATTR_MCAST_GROUPS,
  CTRL_ATTR_MCAST_GRP_ID,
  CTRL_ATTR_MCAST_GRP_NAME,
  CTRL_ATTR_VERSION,
  GENL_ID_CTRL,
  NETLINK_GENERIC,
} from '../../../src/netlink/constants.js';
import {
  GenericFamilyMissingError,
  decodeFamily,
  getFamilyRequest,
  resolveGenericFamily,
} from '../../../src/netlink/generic-family.js';
import { genericPayload } from '../../../src/netlink/message.js';
import { NativeNetlinkTransport } from '../../../src/netlink/native-transport.js';
import { NetlinkError } from '../../../src/netlink/netlink-error.js';
import { NetlinkParseError } from '../../../src/netlink/parse-error.js';
import type { NetlinkTransport } from '../../../src/netlink/transport.js';

const reply = (payload: Buffer) => ({ type: GENL_ID_CTRL, flags: 0, seq: 1, pid: 0, payload });

describe('generic family codec', () => {
  it('asks nlctrl for one family by name (CTRL_CMD_GETFAMILY, version 2)', () => {
    const request = getFamilyRequest('IPVS');
    expect(request.type).toBe(GENL_ID_CTRL);
    // cmd 3, version 2, reserved 0; then attribute 2 (FAMILY_NAME), 9 bytes: "IPVS\0" + padding.
    expect(Buffer.from(request.payload).toString('hex')).toBe('03020000' + '09000200' + '4950565300000000');
  });

  it('decodes id, version and the multicast group array', () => {
    const payload = genericPayload({ cmd: 1, version: 2 }, [
      attrString(CTRL_ATTR_FAMILY_NAME, 'demo'),
      attrU16(CTRL_ATTR_FAMILY_ID, 0x1c),
      attrU32(CTRL_ATTR_VERSION, 1),
      attrNested(CTRL_ATTR_MCAST_GROUPS, [
        attrNested(1, [attrU32(CTRL_ATTR_MCAST_GRP_ID, 7), attrString(CTRL_ATTR_MCAST_GRP_NAME, 'events')]),
        attrNested(2, [attrString(CTRL_ATTR_MCAST_GRP_NAME, 'stats'), attrU32(CTRL_ATTR_MCAST_GRP_ID, 9)]),
      ]),
    ]);
    expect(decodeFamily(reply(payload))).toEqual({
      name: 'demo',
      id: 0x1c,
      version: 1,
      multicastGroups: new Map([['events', 7], ['stats', 9]]),
    });
  });

  it('rejects a reply without a family id as malformed', () => {
    const payload = genericPayload({ cmd: 1, version: 2 }, [attrString(CTRL_ATTR_FAMILY_NAME, 'demo'), attrU32(CTRL_ATTR_VERSION, 1)]);
    expect(() => decodeFamily(reply(payload))).toThrow(NetlinkParseError);
    expect(() => decodeFamily(reply(payload))).toThrow(/CTRL_ATTR_FAMILY_ID/);
  });

  it('rejects a family id in netlink’s reserved control range as malformed', () => {
    const payload = genericPayload({ cmd: 1, version: 2 }, [
      attrString(CTRL_ATTR_FAMILY_NAME, 'IPVS'),
      attrU16(CTRL_ATTR_FAMILY_ID, 0),
      attrU32(CTRL_ATTR_VERSION, 1),
    ]);
    expect(() => decodeFamily(reply(payload))).toThrow(/below GENL_ID_CTRL/);
  });
});

describe('resolveGenericFamily on the host kernel', () => {
  let transport: NativeNetlinkTransport | undefined;
  afterEach(() => {
    transport?.close();
    transport = undefined;
  });

  it('resolves nlctrl to its fixed id 0x10 with its notify group', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_GENERIC);
    const family = await resolveGenericFamily(transport, 'nlctrl');
    expect(family).toMatchObject({ name: 'nlctrl', id: GENL_ID_CTRL });
    expect(family.version).toBeGreaterThanOrEqual(1);
    expect(family.multicastGroups.has('notify')).toBe(true);
  });

  it('resolves a dynamically numbered family (ethtool) above the controller id', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_GENERIC);
    const family = await resolveGenericFamily(transport, 'ethtool');
    expect(family.id).toBeGreaterThan(GENL_ID_CTRL);
    expect(family.multicastGroups.has('monitor')).toBe(true);
  });

  it('reports a missing family with a typed error that says what to load', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_GENERIC);
    const missing = resolveGenericFamily(transport, 'no-such-family');
    await expect(missing).rejects.toBeInstanceOf(GenericFamilyMissingError);
    await expect(missing).rejects.toMatchObject({ code: 'TANDEM_GENL_FAMILY_MISSING', family: 'no-such-family' });
    await expect(missing).rejects.toThrow(/"no-such-family" does not exist in this kernel: is the kernel module/);
  });

  it('names modprobe ip_vs when IPVS is missing', async () => {
    // A transport standing in for a kernel without ip_vs: nlctrl answers ENOENT.
    const withoutIpvs: NetlinkTransport = {
      request: (_request, operation) => Promise.reject(new NetlinkError(operation, { errno: 2, seq: 1, requestType: GENL_ID_CTRL })),
      batch: () => Promise.reject(new Error('not used')),
      dumpMany: () => Promise.reject(new Error('not used')),
      close: () => undefined,
    };
    await expect(resolveGenericFamily(withoutIpvs, 'IPVS')).rejects.toThrow(
      'generic netlink family "IPVS" does not exist in this kernel: is the ip_vs module loaded? Run `modprobe ip_vs`',
    );
  });
});
