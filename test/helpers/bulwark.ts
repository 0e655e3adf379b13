/**
 * Starts an in-process Bulwark on port 0 for integration tests, with a quiet logger (set
 * BULWARK_TEST_LOG=debug to see its logs). Sites default to one catch-all site in front of `origin`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createBulwark, type Bulwark } from '../../src/main.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { openStateStores, type AdminRole } from '../../src/stores/index.ts';
import { issueToken } from '../../src/admin/auth/tokens.ts';

/**
 * Creates a token in a state directory (before or while Bulwark runs on it) and returns its secret and
 * the headers that present it.
 */
export async function createTestToken(stateDir: string, role: AdminRole = 'admin', name = `test-${role}-${Math.random().toString(36).slice(2, 8)}`): Promise<{ secret: string; name: string; headers: Record<string, string> }> {
  const state = openStateStores({ stateDir, onCorrupt: 'refuse' });
  try {
    const { secret } = await issueToken(state.tokens, { name, role, expiresInMs: null, by: 'test' }, Date.now());
    return { secret, name, headers: { authorization: `Bearer ${secret}` } };
  } finally {
    state.close();
  }
}

export interface TestBulwark {
  readonly bulwark: Bulwark;
  readonly config: Config;
  /** `http://127.0.0.1:PORT` of the first http listener. */
  readonly url: string;
  readonly port: number;
  readonly adminUrl: string;
  /** Headers that authenticate the test as an operator with every role on the admin listener. */
  readonly adminHeaders: Record<string, string>;
  readonly stateDir: string;
  stop(): Promise<void>;
}

export function testConfig(input: Record<string, unknown> & { origin?: string }): Config {
  const { origin, ...rest } = input;
  const stateDir = (rest.state_dir as string | undefined) ?? mkdtempSync(join(tmpdir(), 'bulwark-test-'));
  return validateConfig({
    listen: { http: ['127.0.0.1:0'] },
    admin: { listen: '127.0.0.1:0' },
    log: { level: process.env.BULWARK_TEST_LOG ?? 'silent' },
    // Geo data costs a second of CPU to load; tests that need it turn it on.
    identify: { geo: { enabled: false } },
    ...rest,
    state_dir: stateDir,
    sites: rest.sites ?? [{ name: 'test', hosts: ['*'], origins: [origin ?? 'http://127.0.0.1:9'] }],
  });
}

export async function startBulwark(input: Record<string, unknown> & { origin?: string }): Promise<TestBulwark> {
  const config = testConfig(input);
  const token = await createTestToken(config.state_dir, 'admin');
  const bulwark = createBulwark({ config, logger: createLogger(config.log.level) });
  await bulwark.start();
  const first = bulwark.listeners.find((l) => !l.secure);
  return {
    bulwark,
    config,
    url: first ? bulwark.url() : '',
    port: first?.port ?? 0,
    adminUrl: bulwark.admin ? `${bulwark.admin.secure ? 'https' : 'http'}://${bulwark.admin.address}` : '',
    adminHeaders: token.headers,
    stateDir: config.state_dir,
    stop: () => bulwark.stop(),
  };
}

/**
 * Puts a site under a threat level for a test, the way an operator does (`bulwark mode`): an override
 * through the detection service, so the detector's own ticks do not step it back.
 */
export async function forceLevel(b: TestBulwark, site: string, level: 'normal' | 'elevated' | 'under_attack'): Promise<void> {
  const detection = b.bulwark.detection();
  if (detection === null) {
    b.bulwark.runtime().services.setLevel(site, level);
    return;
  }
  await detection.service.setOverride(site, level, Date.now() + 3_600_000, 'test');
  await detection.service.tick();
  if (b.bulwark.runtime().services.levelOf(site) !== level) throw new Error(`level of ${site} did not become ${level}`);
}
