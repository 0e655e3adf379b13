/**
 * The values CEL expressions see for one request (the environment is described in ./cel.ts): getters over
 * the facts, so only what an expression reads is computed, and every declared variable always exists.
 */
import type { DecideFacts } from './facts.ts';

/** CEL `rate` value: requests per second of the client's address and prefix. */
export class CelRate {
  constructor(
    readonly address: number,
    readonly prefix: number,
  ) {}
}

/**
 * The evaluation context of one request: getters over the facts, so only what an expression reads is
 * computed; `headers` and `rate` are built on first use and shared by every expression of the request.
 */
export class CelContext {
  private headerMap: Record<string, string> | undefined = undefined;
  private rateValue: CelRate | undefined = undefined;
  constructor(readonly facts: DecideFacts) {}
  get address(): string {
    return this.facts.address;
  }
  get prefix(): string {
    return this.facts.prefix;
  }
  get asn(): number {
    return this.facts.asn ?? 0;
  }
  get country(): string {
    return this.facts.country ?? '';
  }
  get site(): string {
    return this.facts.site;
  }
  get method(): string {
    return this.facts.method;
  }
  get host(): string {
    return this.facts.host;
  }
  get path(): string {
    return this.facts.path;
  }
  get query(): string {
    return this.facts.query;
  }
  get fingerprint(): string {
    return this.facts.fingerprint;
  }
  get ua_class(): string {
    return this.facts.uaClass;
  }
  get cleared(): boolean {
    return this.facts.cleared;
  }
  get threat_level(): string {
    return this.facts.threatLevel;
  }
  get rate(): CelRate {
    return (this.rateValue ??= new CelRate(this.facts.rateAddress, this.facts.ratePrefix));
  }
  get headers(): Record<string, string> {
    if (this.headerMap !== undefined) return this.headerMap;
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    const src = this.facts.headers;
    for (const name in src) {
      const v = src[name];
      if (typeof v === 'string') out[name] = v;
      else if (v !== undefined) out[name] = v.join(name === 'cookie' ? '; ' : ', ');
    }
    return (this.headerMap = out);
  }
}
