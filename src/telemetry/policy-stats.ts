/**
 * What the policy did, per rule or limit: non-allow decisions by their source, what log
 * and shadow rules would have done, and rules whose expression failed at run time. Shadow counts are
 * how an operator tries a rule before enforcing it. Bounded: at most 512 sources per site.
 */
const MAX_KEYS = 512;

export interface PolicyStats {
  decided(by: string): void;
  shadow(by: string, action: string): void;
  ruleError(by: string): void;
  /** One refusal answered from a connection's refusal lane (pipeline/lane/refusal-lane.ts; also `decided`). */
  laneAnswered(): void;
  /** One of those answered on the wire, before node:http parsed the request (edge/wire/refusal.ts). */
  wireAnswered(): void;
  /** One of those answered at its parsed head, before node:http made a request and response of it (edge/wire/head-hook.ts). */
  headAnswered(): void;
  snapshot(): {
    decisions: Record<string, number>;
    shadow: Record<string, number>;
    rule_errors: Record<string, number>;
    refusal_lane_answers: number;
    refusal_lane_wire_answers: number;
    refusal_lane_head_answers: number;
  };
}

function bump(map: Map<string, number>, key: string): void {
  const v = map.get(key);
  if (v !== undefined) map.set(key, v + 1);
  else if (map.size < MAX_KEYS) map.set(key, 1);
  else map.set('(other)', (map.get('(other)') ?? 0) + 1);
}

export function createPolicyStats(): PolicyStats {
  const decisions = new Map<string, number>();
  const shadow = new Map<string, number>();
  const errors = new Map<string, number>();
  let laneAnswers = 0;
  let wireAnswers = 0;
  let headAnswers = 0;
  return {
    decided: (by) => bump(decisions, by),
    shadow: (by, action) => bump(shadow, `${by} → ${action}`),
    ruleError: (by) => bump(errors, by),
    laneAnswered: () => void laneAnswers++,
    wireAnswered: () => void wireAnswers++,
    headAnswered: () => void headAnswers++,
    snapshot: () => ({
      decisions: Object.fromEntries(decisions),
      shadow: Object.fromEntries(shadow),
      rule_errors: Object.fromEntries(errors),
      refusal_lane_answers: laneAnswers,
      refusal_lane_wire_answers: wireAnswers,
      refusal_lane_head_answers: headAnswers,
    }),
  };
}
