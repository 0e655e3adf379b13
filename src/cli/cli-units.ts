/**
 * Durations on the command line, in the config's syntax (config/units.ts): `--duration 30s`,
 * `--for 30m`, `--grace 2h`, `--expires 90d`. One syntax everywhere, so an operator never has to
 * remember which flag wants a bare number. (No flag takes a size today; one that does should parse it
 * with config/units.ts `parseSize`, a bare number being bytes as in the config.)
 *
 * The one difference from the config file is a bare number: on the command line it has always meant
 * seconds (`bulwark drill --duration 30`), and it stays so for every duration flag — except where a
 * flag documents another unit for bare numbers (`--page-latency 100` is milliseconds, as its help has
 * always said).
 *
 * Errors name the flag and show an example, and are usage errors (exit 2).
 */
import { InvalidArgumentError } from 'commander';
import { BulwarkError } from '../core/errors.ts';
import { parseDuration } from '../config/units.ts';

/** The unit of a bare number given to a duration flag: seconds unless the flag says otherwise. */
export type BareDurationUnit = 's' | 'ms';

const BARE_NUMBER = /^\s*\d+(?:\.\d+)?\s*$/;

/**
 * Parses a duration flag's text into milliseconds: `500ms`, `30s`, `5m`, `1h`, `2d`, or a bare number in
 * `bare` units (seconds by default). Null when the text is not a duration (negative, empty, another
 * unit). Fractions are kept (`1.5s` = 1500 ms).
 */
export function cliDurationMs(text: string, bare: BareDurationUnit = 's'): number | null {
  return parseDuration(explicitDuration(text, bare));
}

/**
 * The flag's text with the unit of a bare number written out (`30` → `30s`), for code that takes the
 * config's syntax (where a bare number is milliseconds) and for messages that quote the operator's value.
 */
export function explicitDuration(text: string, bare: BareDurationUnit = 's'): string {
  return BARE_NUMBER.test(text) ? `${text.trim()}${bare}` : text;
}

/** The usage error for a flag's invalid duration: names the flag, shows what it accepts. */
export function invalidDuration(flag: string, text: string, bare: BareDurationUnit = 's'): BulwarkError {
  return new BulwarkError('BULWARK_ERR_USAGE', `${flag}: invalid duration ${JSON.stringify(text)} (use e.g. 30s, 5m, 2h, or a bare number of ${bare === 's' ? 'seconds' : 'milliseconds'})`, { source: 'config' });
}

/** Parses a duration flag into milliseconds, or throws the usage error naming `flag`. */
export function requireDurationMs(flag: string, text: string, bare: BareDurationUnit = 's'): number {
  const ms = cliDurationMs(text, bare);
  if (ms === null) throw invalidDuration(flag, text, bare);
  return ms;
}

/**
 * A commander argument parser for a duration flag that must be positive: returns milliseconds, or
 * throws commander's usage error (commander prefixes it with the flag: "option '--duration
 * <duration>' argument '3x' is invalid").
 */
export function positiveDurationArg(bare: BareDurationUnit = 's'): (text: string) => number {
  return (text) => {
    const ms = cliDurationMs(text, bare);
    if (ms === null || ms <= 0) {
      throw new InvalidArgumentError(`expected a positive duration such as 30s, 5m or a bare number of ${bare === 's' ? 'seconds' : 'milliseconds'}, got ${JSON.stringify(text)}`);
    }
    return ms;
  };
}

