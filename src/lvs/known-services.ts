/**
 * known-services: what the IPVS owner knows the kernel holds for each virtual service, so a
 * verdict's fast pass can diff one service without listing it.
 *
 * What it knows is the desired entry of each service whose operations the kernel all accepted
 * in the last pass, full or fast. A service it does not know (no pass yet, an operation refused,
 * a batch that threw) is read from the kernel on its own, one GET_SERVICE and one GET_DEST dump:
 * the "re-read after an error" of design principle 6.
 */
import type { VirtualServer } from '../config/types.js';
import type { IpvsOperation, IpvsPort, OperationOutcome } from '../ipvs/ipvs-port.js';
import { serviceKey } from '../ipvs/model.js';
import { ipvsServiceId } from './config-to-ipvs.js';
import type { DesiredService } from './desired-table.js';

/** KnownServices holds each service's kernel entry as the owner last left it, by serviceKey; see the file comment. */
export class KnownServices {
  readonly #ipvs: Pick<IpvsPort, 'getVirtualService' | 'listRealServers'>;
  readonly #known = new Map<string, DesiredService>();

  constructor(ipvs: Pick<IpvsPort, 'getVirtualService' | 'listRealServers'>) {
    this.#ipvs = ipvs;
  }

  /** entry is the kernel entry of `vs` (key `key`): the known one, else read from the kernel, undefined when it has none. */
  async entry(key: string, vs: VirtualServer): Promise<DesiredService | undefined> {
    const known = this.#known.get(key);
    if (known !== undefined) return known;
    const id = ipvsServiceId(vs);
    const service = await this.#ipvs.getVirtualService(id);
    return service === undefined ? undefined : { ...service, realServers: await this.#ipvs.listRealServers(id) };
  }

  /**
   * remember records `wanted` as known for every service whose operations were all accepted,
   * forgets the others so the next pass reads them, and returns the forgotten keys.
   */
  remember(wanted: ReadonlyMap<string, DesiredService>, operations: readonly IpvsOperation[], outcomes: readonly OperationOutcome[]): Set<string> {
    const refused = new Set<string>();
    operations.forEach((operation, index) => {
      if (outcomes[index]?.ok !== true) refused.add(serviceKey(operation.service));
    });
    for (const [key, service] of wanted) {
      if (refused.has(key)) this.#known.delete(key);
      else this.#known.set(key, service);
    }
    return refused;
  }

  /** forget drops `keys`, or every service when none are given. */
  forget(keys?: Iterable<string>): void {
    if (keys === undefined) this.#known.clear();
    else for (const key of keys) this.#known.delete(key);
  }
}
