/** The test harness's origin fixture: the drill's (capacity, latency, failure modes, counters). */
export { startOriginFixture, type OriginFixture, type OriginFixtureOptions, type PathBehaviour } from '../../src/drill/origin-fixture.ts';
