/** Small pieces shared by the pages: level badges, scrollable tables, notices, the level form. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, send } from './api.ts';
import { LEVEL_TEXT, time } from './format.ts';

export function LevelBadge({ level }: { level: string }) {
  return <span class={`level level-${level}`}>{LEVEL_TEXT[level] ?? level}</span>;
}

/** A table that scrolls sideways on narrow screens (focusable, so keyboard users can scroll it). */
export function TableBox({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-box" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function Notice({ kind, children }: { kind: 'error' | 'ok' | 'info'; children: ComponentChildren }) {
  return (
    <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

export function errorText(err: unknown): string {
  return err instanceof ApiError ? `${err.message} (${err.code})` : String((err as Error)?.message ?? err);
}

/** Override a site's level for a while, or give it back to the detector. */
export function LevelForm({ site, override, onDone }: { site: string; override: { level: string; until_ms: number; by: string | null } | null; onDone: () => void }) {
  const [level, setLevel] = useState('under_attack');
  const [duration, setDuration] = useState('30m');
  const [reason, setReason] = useState('');
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const id = (k: string) => `lv-${site}-${k}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await send('POST', '/mode', { site, level, duration, ...(reason ? { reason } : {}) });
      setMsg({ kind: 'ok', text: `${site}: ${LEVEL_TEXT[level]} for ${duration}` });
      onDone();
    } catch (err) {
      setMsg({ kind: 'error', text: errorText(err) });
    }
  };
  const auto = async () => {
    try {
      await send('POST', '/mode', { site, level: 'auto' });
      setMsg({ kind: 'ok', text: `${site}: back to automatic` });
      onDone();
    } catch (err) {
      setMsg({ kind: 'error', text: errorText(err) });
    }
  };
  return (
    <form class="level-form" onSubmit={submit} aria-label={`Threat level of ${site}`}>
      <fieldset>
        <legend>Override the threat level of {site}</legend>
        <p class="hint">
          {override ? (
            <>
              Overridden to <LevelBadge level={override.level} /> until {time(override.until_ms)}
              {override.by ? ` by ${override.by}` : ''}.
            </>
          ) : (
            'The detector sets the level (no override).'
          )}
        </p>
        <div class="row">
          <label for={id('level')}>Level</label>
          <select id={id('level')} value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value)}>
            <option value="normal">normal</option>
            <option value="elevated">elevated</option>
            <option value="under_attack">under attack</option>
          </select>
          <label for={id('duration')}>For</label>
          <input id={id('duration')} value={duration} size={6} onInput={(e) => setDuration((e.target as HTMLInputElement).value)} aria-describedby={id('dhint')} />
          <span id={id('dhint')} class="hint">e.g. 30m, 2h (at most 7d)</span>
        </div>
        <div class="row">
          <label for={id('reason')}>Reason</label>
          <input id={id('reason')} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        </div>
        <div class="row">
          <button type="submit">Override level</button>
          <button type="button" class="secondary" onClick={auto} disabled={!override}>
            Back to automatic
          </button>
        </div>
        {msg && <Notice kind={msg.kind}>{msg.text}</Notice>}
      </fieldset>
    </form>
  );
}
