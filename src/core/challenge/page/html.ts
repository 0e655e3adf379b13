/**
 * HTML escaping for text and double-quoted attribute values (HTML Living Standard §13.1.2.3).
 *
 * Besides `&`, `<`, `>`, `"` and `'`, every non-ASCII character becomes a numeric character reference,
 * so the pages are pure ASCII whatever a site's name is: correct under any charset, and cheap to encode
 * (V8 keeps them as one-byte strings, and UTF-8 encoding them is a copy).
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"'\u0080-\uffff]/;
const ESCAPE_ALL = /[&<>"']|[^\u0000-\u007f]/gu;

/** Escapes markup characters and non-ASCII characters; safe in text and in quoted attribute values. */
export function escapeHtml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(ESCAPE_ALL, (c) => ESCAPES[c] ?? `&#x${c.codePointAt(0)!.toString(16)};`);
}
