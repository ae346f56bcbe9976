/**
 * request-encoder: builds the generic netlink requests for every IPVS command (pure: bytes in,
 * nothing sent). One encoder writes all its payloads into one AttributeWriter, so a batch of
 * thousands of operations costs a few buffer allocations.
 */
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import type { NetlinkRequest } from '../netlink/message.js';
import { AttributeWriter } from './attribute-writer.js';
import { writeTimeouts } from './config-codec.js';
import {
  IPVS_CMD_DEL_DAEMON,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_FLUSH,
  IPVS_CMD_GET_CONFIG,
  IPVS_CMD_GET_DAEMON,
  IPVS_CMD_GET_DEST,
  IPVS_CMD_GET_INFO,
  IPVS_CMD_GET_SERVICE,
  IPVS_CMD_NEW_DAEMON,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_ZERO,
  IPVS_GENL_VERSION,
} from './constants.js';
import { writeDaemonStart, writeDaemonStop } from './daemon-codec.js';
import { writeRealServer, writeRealServerId } from './dest-codec.js';
import type { IpvsOperation } from './ipvs-port.js';
import type { SyncDaemon, SyncState, Timeouts, VirtualServiceId } from './model.js';
import { writeService, writeServiceId } from './service-codec.js';

const ACKED = NLM_F_REQUEST | NLM_F_ACK;
const DUMP = NLM_F_REQUEST | NLM_F_DUMP;
/** A generous per-operation size: a full service plus a full real server is about 150 bytes. */
const BYTES_PER_OPERATION = 160;

/** IpvsRequestEncoder turns IPVS commands into NetlinkRequests for the family id it was given. */
export class IpvsRequestEncoder {
  private readonly familyId: number;
  private readonly writer: AttributeWriter;

  /** `expectedOperations` sizes the buffer once for a batch. */
  constructor(familyId: number, expectedOperations = 1) {
    this.familyId = familyId;
    this.writer = new AttributeWriter(expectedOperations * BYTES_PER_OPERATION);
  }

  /** operation encodes one table change (NEW/SET/DEL_SERVICE or _DEST). */
  operation(operation: IpvsOperation): NetlinkRequest {
    const w = this.writer;
    switch (operation.kind) {
      case 'add-service':
      case 'edit-service':
        w.begin(operation.kind === 'add-service' ? IPVS_CMD_NEW_SERVICE : IPVS_CMD_SET_SERVICE, IPVS_GENL_VERSION);
        writeService(w, operation.service);
        break;
      case 'delete-service':
        w.begin(IPVS_CMD_DEL_SERVICE, IPVS_GENL_VERSION);
        writeServiceId(w, operation.service);
        break;
      case 'add-real-server':
      case 'edit-real-server':
        w.begin(operation.kind === 'add-real-server' ? IPVS_CMD_NEW_DEST : IPVS_CMD_SET_DEST, IPVS_GENL_VERSION);
        writeServiceId(w, operation.service);
        writeRealServer(w, operation.realServer);
        break;
      case 'delete-real-server':
        w.begin(IPVS_CMD_DEL_DEST, IPVS_GENL_VERSION);
        writeServiceId(w, operation.service);
        writeRealServerId(w, operation.realServer);
        break;
    }
    return this.finish(ACKED);
  }

  /** getService asks for one service (GET_SERVICE without NLM_F_DUMP). */
  getService(service: VirtualServiceId): NetlinkRequest {
    this.writer.begin(IPVS_CMD_GET_SERVICE, IPVS_GENL_VERSION);
    writeServiceId(this.writer, service);
    return this.finish(ACKED);
  }

  /** dumpServices lists every service. */
  dumpServices(): NetlinkRequest {
    return this.bare(IPVS_CMD_GET_SERVICE, DUMP);
  }

  /** dumpRealServers lists one service's real servers (GET_DEST needs the service nest). */
  dumpRealServers(service: VirtualServiceId): NetlinkRequest {
    this.writer.begin(IPVS_CMD_GET_DEST, IPVS_GENL_VERSION);
    writeServiceId(this.writer, service);
    return this.finish(DUMP);
  }

  /** zero clears one service's counters, or every counter without a service. */
  zero(service?: VirtualServiceId): NetlinkRequest {
    this.writer.begin(IPVS_CMD_ZERO, IPVS_GENL_VERSION);
    if (service !== undefined) writeServiceId(this.writer, service);
    return this.finish(ACKED);
  }

  /** flush removes every service. */
  flush(): NetlinkRequest {
    return this.bare(IPVS_CMD_FLUSH, ACKED);
  }

  /** setTimeouts is SET_CONFIG with the timeouts given. */
  setTimeouts(timeouts: Partial<Timeouts>): NetlinkRequest {
    this.writer.begin(IPVS_CMD_SET_CONFIG, IPVS_GENL_VERSION);
    writeTimeouts(this.writer, timeouts);
    return this.finish(ACKED);
  }

  /** getTimeouts is GET_CONFIG. */
  getTimeouts(): NetlinkRequest {
    return this.bare(IPVS_CMD_GET_CONFIG, ACKED);
  }

  /** getInfo is GET_INFO. */
  getInfo(): NetlinkRequest {
    return this.bare(IPVS_CMD_GET_INFO, ACKED);
  }

  /** startDaemon is NEW_DAEMON. */
  startDaemon(daemon: SyncDaemon): NetlinkRequest {
    this.writer.begin(IPVS_CMD_NEW_DAEMON, IPVS_GENL_VERSION);
    writeDaemonStart(this.writer, daemon);
    return this.finish(ACKED);
  }

  /** stopDaemon is DEL_DAEMON. */
  stopDaemon(state: SyncState): NetlinkRequest {
    this.writer.begin(IPVS_CMD_DEL_DAEMON, IPVS_GENL_VERSION);
    writeDaemonStop(this.writer, state);
    return this.finish(ACKED);
  }

  /** dumpDaemons lists the running sync daemons. */
  dumpDaemons(): NetlinkRequest {
    return this.bare(IPVS_CMD_GET_DAEMON, DUMP);
  }

  private bare(cmd: number, flags: number): NetlinkRequest {
    this.writer.begin(cmd, IPVS_GENL_VERSION);
    return this.finish(flags);
  }

  private finish(flags: number): NetlinkRequest {
    return new EncodedRequest(this.familyId, flags, this.writer.finish());
  }
}

/**
 * EncodedRequest is a NetlinkRequest made with `new` rather than as an object literal, for the
 * reason ListedRealServer gives (dest-codec.ts): a read-back keeps its 1,000 GET_DEST requests
 * until the last dump, and V8 then recompiled the encoder to make them in old space.
 */
class EncodedRequest implements NetlinkRequest {
  constructor(
    readonly type: number,
    readonly flags: number,
    readonly payload: Uint8Array,
  ) {}
}
