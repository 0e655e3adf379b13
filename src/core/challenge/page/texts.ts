/**
 * What the challenge pages say to visitors, in plain words. English only for now (the page has
 * `lang="en"`); every sentence lives here so a translation is one file.
 */

/** Why the visitor sees a challenge, as told to them (never the internal rule name). */
export type PageReason = 'protection' | 'under_attack' | 'expired' | 'failed' | 'too_early' | 'busy';

/** One sentence per reason, completing "{site} is making sure this visit comes from a person's browser…". */
export const REASON_TEXT: Readonly<Record<PageReason, string>> = {
  protection: 'The site is receiving a lot of automated traffic, so it asks some visitors for this short check.',
  under_attack: 'The site is under heavy automated traffic right now, so it checks every new visitor.',
  expired: 'Your earlier check has expired, so here is a new one.',
  failed: 'Your last check did not go through, so here is a new one.',
  too_early: 'Please wait a few more seconds before continuing.',
  busy: 'The site is very busy right now. Please try again in a moment.',
};

export const TEXT = {
  title: 'One moment, please',
  intro: (site: string) =>
    `${site} is making sure this visit comes from a person&rsquo;s browser and not from an automated program.`,
  jsWorking: (seconds: number) =>
    `Your browser is solving a small puzzle now. It needs nothing from you and takes about ${seconds} ` +
    `${seconds === 1 ? 'second' : 'seconds'} on a slow phone, less on a computer.`,
  progressLabel: 'Progress of the check',
  statusStart: 'Waiting for the check to start.',
  privacy:
    'The check runs only between your browser and this site: nothing about you is sent to anyone else. ' +
    'Afterwards your browser keeps a small cookie, so you are not asked again for a while.',
  noJsHeading: 'Continuing without JavaScript',
  noJsOpen: (seconds: number) =>
    `Your browser is not running JavaScript. That is fine: please wait about ${seconds} seconds and this page ` +
    `will continue by itself. If it does not, press the button below once ${seconds} seconds have passed.`,
  noJsButton: 'Continue',
  noJsClosedHeading: 'JavaScript is needed right now',
  noJsClosed:
    'Because of the heavy traffic, the check currently needs JavaScript. Please turn JavaScript on for this ' +
    'site, or come back later, when the check works without it.',
  formHeading: 'About the form you were sending',
  formText:
    'Your browser was sending information to the site, for example a form. It could not be passed on before ' +
    'the check, so it was not sent. After the check you will be taken back to the page: please send it again.',
  formLink: 'Go back to the page',
  reference: (id: string) =>
    `Reference: ${id}. If you contact the people who run this site about this page, please mention it.`,
  operator: 'This check is run by the site itself. No outside service is involved.',
  cookiesTitle: 'Your browser did not keep the cookie',
  cookiesPassed: (site: string) =>
    `You passed the check, but your browser did not keep the small cookie that remembers it, so ${site} ` +
    'cannot tell that you passed.',
  cookiesWhat: (name: string, lifetime: string) =>
    `The cookie is called ${name}. It only records that you passed the check, holds no personal information, ` +
    `and expires after ${lifetime}.`,
  cookiesFix: (site: string) =>
    `To continue, allow cookies for ${site} in your browser&rsquo;s privacy or site settings, then try again.`,
  cookiesRetry: 'Try again',
  retryTitle: 'The check did not go through',
  retryText: 'You will be taken back in a moment to try again. If nothing happens, use the link below.',
  retryLink: 'Try again',
} as const;

/** A lifetime in seconds as plain words ("1 hour", "30 minutes", "2 days"). */
export function describeDuration(seconds: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (seconds >= 86400 && seconds % 86400 === 0) return unit(seconds / 86400, 'day');
  if (seconds >= 3600 && seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
  if (seconds >= 60) return unit(Math.round(seconds / 60), 'minute');
  return unit(seconds, 'second');
}
