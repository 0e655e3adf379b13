/**
 * The running config as the dashboard shows it: every key, with anything that looks like a secret
 * masked (keys named like password, secret, token, credentials, authorization, cookie, api_key; and the
 * user-info part of URLs such as redis://user:pass@host).
 */

const SECRET_KEY = /pass(word)?|secret|token|credential|authorization|cookie|api_?key|private_?key/i;

/** A deep copy of `value` with secrets replaced by `"••••"`. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key !== '' && SECRET_KEY.test(key)) return '••••';
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1••••@');
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? (SECRET_KEY.test(k) && typeof v === 'string' ? '••••' : maskSecrets(v, k)) : maskSecrets(v, k);
    return out;
  }
  return value;
}
