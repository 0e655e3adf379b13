import { createHash } from 'node:crypto';

/**
 * The pages' stylesheet, served by Bulwark itself at {@link PAGE_STYLES_PATH} (same origin, cacheable for
 * a year: its path changes with its content), so a challenge page does not carry it every time. Optional
 * by design: the pages are plain, ordered HTML that reads fine without it. Colours meet WCAG 2.2 AA
 * contrast (body text ~16:1, links ~8:1 on white; the dark scheme likewise), focus is always visible, and
 * sizes are relative so the visitor's zoom and font size apply.
 */
export const PAGE_STYLES = `
:root{color-scheme:light dark}
body{margin:0;background:#fff;color:#1b1b1b;font:1.0625rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:38rem;margin:0 auto;padding:2.5rem 1.25rem}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.2rem;margin:1.75rem 0 .5rem}
a{color:#0b4fa3}
a:focus,button:focus{outline:3px solid #0b4fa3;outline-offset:2px}
progress{display:block;width:100%;height:1.1rem;margin:.35rem 0}
label{font-weight:600}
button{font:inherit;padding:.5rem 1.1rem;border:2px solid #0b4fa3;border-radius:.3rem;background:#0b4fa3;color:#fff;cursor:pointer}
footer{margin-top:2rem;font-size:.9rem;color:#3d3d3d}
code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
@media (prefers-color-scheme:dark){
body{background:#121212;color:#ececec}
a{color:#8ab4f8}
a:focus,button:focus{outline-color:#8ab4f8}
button{background:#8ab4f8;border-color:#8ab4f8;color:#121212}
footer{color:#c4c4c4}
}
`;

/** Where the stylesheet is served: its path names its content. */
export const PAGE_STYLES_PATH = `/.bulwark/challenge/style-${createHash('sha256').update(PAGE_STYLES).digest('hex').slice(0, 12)}.css`;

/** The `<link>` every challenge page carries in its head. */
export const PAGE_STYLES_LINK = `<link rel="stylesheet" href="${PAGE_STYLES_PATH}">`;
