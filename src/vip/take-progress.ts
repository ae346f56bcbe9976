/**
 * take-progress: how far one take of the VIPs has got, so that "held" is reported only when true.
 *
 * A take is held once every VIP is on its interface (the kernel acked the add, answered EEXIST, or
 * listed it) and has been announced since (or its link has no MAC to announce with). The daemon
 * tells the election only then (vipsHeld), because a successor's first advert makes the leaving
 * master let go of the VIPs (docs/protocol.md "Handover"): reported early, after an add the kernel
 * refused, the pair would have no director answering for that VIP.
 */

/**
 * TakeProgress tracks one take, from hold() to release(); `held` settles once, true when complete,
 * false if abandoned first. Which VIPs are on their interfaces stays tracked after completion, so
 * that the owner never announces one the kernel does not have.
 */
export class TakeProgress {
  /** held resolves true when every VIP is present and announced, false if the take is abandoned first. */
  readonly held: Promise<boolean>;
  readonly #missing = new Set<string>();
  readonly #unannounced = new Set<string>();
  #settle: (held: boolean) => void = () => undefined;
  /** outcome is what `held` resolved with, once it has. */
  #outcome: boolean | undefined;

  /** The take starts with nothing confirmed: `addresses` are the VIPs being taken. */
  constructor(addresses: readonly string[]) {
    this.held = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.restart(addresses);
  }

  /** complete is true once every VIP has been present and announced (held resolved true). */
  get complete(): boolean {
    return this.#outcome === true;
  }

  /** missing is true while some VIP is not known to be on its interface. */
  get missing(): boolean {
    return this.#missing.size > 0;
  }

  /** isPresent says whether a VIP may be announced: known on its interface, or none of this take's. */
  isPresent(address: string): boolean {
    return !this.#missing.has(address);
  }

  /** present records that the kernel has this VIP on its interface. */
  present(address: string): void {
    this.#missing.delete(address);
    this.#check();
  }

  /** absent records that this VIP is not on its interface (a converge is about to add it). */
  absent(address: string): void {
    this.#missing.add(address);
  }

  /** announced records a gratuitous ARP / NA sent for a present VIP, or none needed (no MAC). */
  announced(address: string): void {
    if (this.#missing.has(address)) return;
    this.#unannounced.delete(address);
    this.#check();
  }

  /**
   * restart tracks `addresses` from scratch (a reload changed the VIP list): none confirmed yet.
   * An empty list is held at once: no add or announcement will ever come to complete it.
   */
  restart(addresses: readonly string[]): void {
    this.#missing.clear();
    this.#unannounced.clear();
    for (const address of addresses) {
      this.#missing.add(address);
      this.#unannounced.add(address);
    }
    this.#check();
  }

  /** abandon ends a take that was not completed (the VIPs are released): `held` resolves false. */
  abandon(): void {
    this.#finish(false);
  }

  #check(): void {
    if (this.#missing.size === 0 && this.#unannounced.size === 0) this.#finish(true);
  }

  #finish(held: boolean): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = held;
    this.#settle(held);
  }
}
