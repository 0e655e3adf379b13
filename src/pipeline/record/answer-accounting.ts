/**
 * What every answer feeds besides its record, whichever path wrote it — node:http's pipeline (`finish`
 * in edge/request-finish.ts), a refusal of a request node:http could not parse, or a copy answered on
 * the wire (edge/wire/hit.ts) — so no path can be used to dodge the accounting of another:
 * - the 404 budget (not-found-budget.ts): a 404 answered to a client without priority (not cleared, not
 *   a verified crawler, not allow-listed) counts against its prefix;
 * - escalation (escalate.ts): a refused invalid request (`rejected`: a malformed head, an unknown host,
 *   a refused method, a body too large) counts toward a ban like any other refusal, as `reject/<code>` —
 *   except when the client is a trusted proxy itself (its own health checks to a Host no site answers
 *   must not get every visitor behind it dropped at accept).
 * Refusals by policy (429, 403, tarpit) are counted where they are decided (pipeline/phases/decide.ts,
 * the refusal lane).
 */
import { PRIORITY_CLEARED, type Priority } from '../../core/vocabulary.ts';
import type { Runtime } from '../../runtime/runtime.ts';
import { UNROUTED_SITE, type RequestRecord } from '../../telemetry/request-record.ts';
import { recordRefusalOf } from '../escalate.ts';

/** The fields of an answer's record that the accounting reads. */
export type AccountedAnswer = Pick<RequestRecord, 'site' | 'status' | 'outcome' | 'clientAddress' | 'prefix' | 'errorCode' | 'timeMs'>;

/** Feeds one answer, under the config generation it was answered in, to the 404 budget and escalation (see the module comment). */
export function accountAnswer(runtime: Runtime, answer: AccountedAnswer, priority: Priority): void {
  const services = runtime.services;
  if (answer.status === 404 && answer.site !== UNROUTED_SITE && priority !== PRIORITY_CLEARED) {
    services.policy.notFound?.note(answer.site, answer.clientAddress, answer.prefix, answer.timeMs);
  }
  if (answer.outcome === 'rejected' && answer.clientAddress !== '' && !runtime.isTrustedProxy(answer.clientAddress)) {
    recordRefusalOf(services, answer.clientAddress, answer.prefix, `reject/${answer.errorCode ?? 'invalid_request'}`, answer.timeMs);
  }
}
