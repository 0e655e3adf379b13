/**
 * The admin listener wants a token on every route but /healthz and /readyz. The drill reads /stats and
 * /incidents of the Bulwark it starts, so it creates a `viewer` token in that Bulwark's state directory
 * before the child starts, and remembers it here by admin URL (removed when the child stops). Against a
 * Bulwark the drill did not start (`--target` with `--admin`), the token comes from the
 * `BULWARK_ADMIN_TOKEN` environment variable (never from the command line, where `ps` would show it).
 */
import { issueToken } from '../admin/auth/tokens.ts';
import { openStateStores } from '../stores/index.ts';

const byUrl = new Map<string, string>();

/** Creates a viewer token in `stateDir` (the child's state) and returns its secret. */
export async function createDrillToken(stateDir: string): Promise<string> {
  const state = openStateStores({ stateDir, onCorrupt: 'refuse' });
  try {
    return (await issueToken(state.tokens, { name: `drill-${process.pid}-${Date.now()}`, role: 'viewer', expiresInMs: 86_400_000, by: 'drill' }, Date.now())).secret;
  } finally {
    state.close();
  }
}

/** Remembers the token of an admin URL (undefined forgets it). */
export function rememberAdminToken(adminUrl: string, token: string | undefined): void {
  if (token === undefined) byUrl.delete(adminUrl);
  else byUrl.set(adminUrl, token);
}

/** Headers that authenticate a request to `adminUrl`: its remembered token, else BULWARK_ADMIN_TOKEN. */
export function adminHeaders(adminUrl: string): Record<string, string> {
  const token = byUrl.get(adminUrl) ?? process.env.BULWARK_ADMIN_TOKEN;
  return token ? { authorization: `Bearer ${token}` } : {};
}
