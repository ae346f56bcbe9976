/**
 * unchanged-services: the services of the last rules read-back, kept so that the next one
 * hands back the very entry of each service whose rules did not change, instead of decoding it
 * again.
 *
 * The IPVS owner re-reads the whole table twice a second to find drift (ipvs-owner.ts). At
 * 20,000 real servers each read decoded 20,000 new objects, most of them equal to the last
 * read's, and the collector stopped the JS thread for that garbage while health verdicts
 * waited (bench/verdict-latency). Now the kernel's bytes are still read and checked in full, each
 * service's and each real server's (rules-digest.ts), but an entry is decoded only when they
 * changed. Entries are keyed by the digest of the service nest, which holds the service's
 * identity and settings, and keep the digest of its real servers; a service whose two digests
 * are as before is the same object as before, so whoever compares entries can tell "unchanged"
 * by identity (clean-plans.ts).
 *
 * The first read-back of a NetlinkIpvs digests nothing: it has nothing to compare with, and it
 * is the read that runs before V8 has compiled anything (bench/ipvs-table).
 */
import type { RealServer, ServiceRules, VirtualService } from './model.js';
import { REAL_SERVER_COUNTERS, RulesDigest, SERVICE_COUNTERS } from './rules-digest.js';

/** NestVisitor is told where a nest's payload lies: buf[start, end). */
export type NestVisitor = (buf: Buffer, start: number, end: number) => void;

/** ListedService is one service of a read-back's GET_SERVICE dump, before its real servers are read. */
export interface ListedService {
  /** service is the decoded service, or the kept entry when its nest is unchanged (it is a VirtualService too). */
  readonly service: VirtualService;
  readonly digest: number;
  readonly kept: KeptService | undefined;
}

/** KeptService is one service as the last read-back left it: its whole entry and the digest of its real servers. */
interface KeptService {
  readonly rules: ServiceRules;
  readonly realServersDigest: number;
}

/** UnchangedServices keeps the last read-back's services for the next; see the file comment. */
export class UnchangedServices {
  readonly #services = new RulesDigest(SERVICE_COUNTERS);
  readonly #realServers = new RulesDigest(REAL_SERVER_COUNTERS);
  #kept = new Map<number, KeptService>();
  #reads = 0;

  /**
   * read begins one read-back: call its service() and rules() as the dumps are read, then
   * finish(). Until it finishes, the next read has nothing to compare with: a read that failed
   * midway (a refused dump, a reply that did not parse) leaves no entry behind that could be
   * wrong, and the read after it decodes everything.
   */
  read(): UnchangedServicesRead {
    const before = this.#kept;
    this.#kept = new Map();
    return new UnchangedServicesRead(this.#reads++ > 0, before, this.#services, this.#realServers, (kept) => {
      this.#kept = kept;
    });
  }
}

/** UnchangedServicesRead is one read-back's use of UnchangedServices. */
export class UnchangedServicesRead {
  readonly #next = new Map<number, KeptService>();
  readonly #addRealServer: NestVisitor = (buf, start, end) => { this.realServersDigest.add(buf, start, end); };

  constructor(
    private readonly digesting: boolean,
    private readonly before: ReadonlyMap<number, KeptService>,
    private readonly serviceDigest: RulesDigest,
    private readonly realServersDigest: RulesDigest,
    private readonly keep: (kept: Map<number, KeptService>) => void,
  ) {}

  /** service lists the service nest at buf[start, end): the kept entry when its nest is unchanged, else `decode`'s. */
  service(buf: Buffer, start: number, end: number, decode: (buf: Buffer, start: number, end: number) => VirtualService): ListedService {
    if (!this.digesting) return { service: decode(buf, start, end), digest: 0, kept: undefined };
    this.serviceDigest.start();
    this.serviceDigest.add(buf, start, end);
    const digest = this.serviceDigest.value();
    const kept = this.before.get(digest);
    return { service: kept?.rules ?? decode(buf, start, end), digest, kept };
  }

  /**
   * rules is `listed`'s whole entry: the kept one when its real servers' nests (which
   * `eachNest` visits, in order) are unchanged too, else one made with `decode`'s real servers.
   */
  rules(listed: ListedService, eachNest: (visit: NestVisitor) => void, decode: () => readonly RealServer[]): ServiceRules {
    if (!this.digesting) return { ...listed.service, realServers: decode() };
    this.realServersDigest.start();
    eachNest(this.#addRealServer);
    const realServersDigest = this.realServersDigest.value();
    const { kept } = listed;
    const rules = kept !== undefined && kept.realServersDigest === realServersDigest ? kept.rules : { ...listed.service, realServers: decode() };
    this.#next.set(listed.digest, { rules, realServersDigest });
    return rules;
  }

  /** finish makes this read's services the ones the next read compares with; a read that failed midway is not finished. */
  finish(): void {
    if (this.digesting) this.keep(this.#next);
  }
}
