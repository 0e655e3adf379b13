/**
 * The drill's building blocks, for `bulwark drill`, the scenarios and the test helpers: the origin
 * fixture, source-address pools, raw-socket clients, measurements, the loopback guard, the attackers and
 * the simulated visitors. Import from here rather than from the individual files.
 */
export * from './errors.ts';
export * from './loopback-guard.ts';
export * from './stats.ts';
export * from './source-pool.ts';
export * from './raw-client.ts';
export * from './answer-outcome.ts';
export * from './origin-fixture.ts';
export { classifyByRole, effectiveSource } from './origin-fixture-counters.ts';
export { contentTypeFor, ECHO_BODY_LIMIT, MAX_DOWNLOAD_BYTES, patternByte, type EchoAnswer } from './origin-fixture-routes.ts';
export * from './websocket-codec.ts';
export * from './websocket-client.ts';
export * from './attackers/bounds.ts';
export { createAttackRecorder, type AttackOutcome, type AttackRecorder, type AttackResult } from './attackers/attack-result.ts';
export * from './attackers/traffic-shapes.ts';
export type { FloodOptions, FloodRequest } from './attackers/http-flood.ts';
export * from './attackers/get-flood.ts';
export * from './attackers/post-flood.ts';
export * from './attackers/ipv6-rotation.ts';
export type { SlowAttackResult, SlowConnectionOptions } from './attackers/slow-connections.ts';
export * from './attackers/slowloris.ts';
export * from './attackers/slow-post.ts';
export * from './attackers/slow-read.ts';
export * from './attackers/malformed.ts';
export * from './visitors/cookie-jar.ts';
export * from './visitors/visitor-stats.ts';
export type { ChallengeContext, ChallengeSolution, ChallengeSolver, LogicalResult, VisitorClient, VisitorRequest, VisitorResponse } from './visitors/visitor-http.ts';
export * from './visitors/run-visitors.ts';
export * from './plain-server.ts';
