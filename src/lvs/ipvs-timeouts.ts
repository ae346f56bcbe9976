/**
 * ipvs-timeouts: the IPVS owner's global connection timeouts (ipvsadm --set), set only when
 * they differ from what it last set: at start and after a reload that changes them.
 */
import type { Logger } from 'pino';
import type { IpvsPort } from '../ipvs/ipvs-port.js';
import type { Timeouts } from '../ipvs/model.js';

/** IpvsTimeouts sets the kernel's IPVS timeouts for the IPVS owner; see the file comment. */
export class IpvsTimeouts {
  readonly #ipvs: Pick<IpvsPort, 'setTimeouts'>;
  readonly #log: Logger;
  #set: Timeouts | undefined;

  constructor(ipvs: Pick<IpvsPort, 'setTimeouts'>, log: Logger) {
    this.#ipvs = ipvs;
    this.#log = log;
  }

  /**
   * apply sets `wanted` unless it is what was last set, and returns false when the kernel
   * refused: the caller counts the error, programs the table anyway and retries next pass.
   */
  async apply(wanted: Timeouts): Promise<boolean> {
    const last = this.#set;
    if (last !== undefined && last.tcpSeconds === wanted.tcpSeconds && last.tcpFinSeconds === wanted.tcpFinSeconds && last.udpSeconds === wanted.udpSeconds) return true;
    // All zero means "leave the kernel's values" (ipvsadm --set 0 0 0 changes nothing), so send nothing.
    if (wanted.tcpSeconds !== 0 || wanted.tcpFinSeconds !== 0 || wanted.udpSeconds !== 0) {
      try {
        await this.#ipvs.setTimeouts(wanted);
      } catch (error) {
        this.#log.error({ event: 'ipvs.timeouts.error', err: error }, 'could not set the IPVS timeouts; retrying on the next tick');
        return false;
      }
      this.#log.info({ event: 'ipvs.timeouts', ...wanted }, 'IPVS timeouts set');
    }
    this.#set = wanted;
    return true;
  }
}
