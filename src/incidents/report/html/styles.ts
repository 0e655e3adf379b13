/**
 * The report's one stylesheet, inline: system fonts only (nothing is fetched), A4 portrait with 14 mm
 * margins when printed, tables and figures kept whole across pages where they fit, the TLP label on the
 * first page in the colours FIRST publishes for TLP 2.0 (https://www.first.org/tlp/).
 */
export const REPORT_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1d1d; background: #fff; }
main { max-width: 190mm; margin: 0 auto; padding: 18px 20px 40px; }
header.top { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px; border-bottom: 2px solid #1d1d1d; padding-bottom: 10px; }
h1 { font-size: 22px; margin: 0 0 4px; line-height: 1.2; }
h2 { font-size: 17px; margin: 26px 0 8px; border-bottom: 1px solid #ccc; padding-bottom: 3px; break-after: avoid; }
h3 { font-size: 14px; margin: 16px 0 4px; break-after: avoid; }
.meta { color: #444; font-size: 12.5px; margin: 0; }
.tlp { font: 700 14px/1 ui-monospace, Menlo, Consolas, monospace; background: #000; padding: 6px 9px; white-space: nowrap; border-radius: 2px; }
.tlp-clear { color: #fff; } .tlp-green { color: #33ff00; } .tlp-amber { color: #ffc000; } .tlp-red { color: #ff2b2b; }
.tlp-note { font-size: 11.5px; color: #444; max-width: 60mm; text-align: right; margin: 6px 0 0; }
#summary { background: #f5f5f2; border-left: 4px solid #1d1d1d; padding: 10px 14px; margin-top: 14px; }
#summary h2 { border: 0; margin-top: 4px; }
#summary .headline { font-weight: 650; font-size: 15.5px; margin: 0 0 6px; }
#summary p { margin: 6px 0; }
figure.timeline { margin: 8px 0 0; break-inside: avoid; }
svg.chart { width: 100%; height: auto; display: block; font: 10px system-ui, sans-serif; fill: #333; }
svg.chart text.mk { font-weight: 700; font-size: 9px; }
figcaption { font-size: 12px; }
ul.legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 14px; }
.swatch { display: inline-block; width: 11px; height: 11px; margin-right: 5px; vertical-align: -1px; border: 1px solid #0003; }
ol.markers { margin: 4px 0 0; padding-left: 22px; columns: 2; column-gap: 24px; }
ol.markers li { break-inside: avoid; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 10px; font-size: 12.5px; break-inside: avoid; }
caption { text-align: left; font-weight: 650; padding: 2px 0 4px; }
th, td { text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #e2e2e2; overflow-wrap: break-word; }
.nowrap { white-space: nowrap; }
thead th { border-bottom: 1.5px solid #999; font-weight: 600; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
code { font: 11.5px ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; word-break: break-word; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 0 18px; align-items: start; }
.note, .small { font-size: 12px; color: #444; }
.empty { color: #555; font-style: italic; }
table.kv { width: auto; min-width: 60%; }
table.evidence td, table.evidence th { font-size: 12px; }
table.evidence tr.group th { background: #f0f0ec; font-weight: 650; }
table.evidence tr.verdict td { background: #fafaf7; }
table.evidence td.decides { font-weight: 700; }
.ci { color: #555; font-size: 11px; white-space: nowrap; }
.na { color: #888; }
.verdict-words { font-weight: 600; }
.related { break-inside: avoid; }
details summary { cursor: pointer; font-size: 12px; }
footer { margin-top: 30px; border-top: 1px solid #ccc; padding-top: 8px; font-size: 11.5px; color: #444; }
@page { size: A4 portrait; margin: 14mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  details { display: block; } details > summary { display: none; }
  details:not([open]) > ul { display: block; }
  a { color: inherit; text-decoration: none; }
  #summary { break-inside: avoid; }
}
`;
