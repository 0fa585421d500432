// Stands in for string-width in the image bundle (see scripts/bundle.mjs): yargs' help layout
// (cliui, wrap-ansi) measures text with it, and the real one builds an Intl.Segmenter when loaded,
// which maps ICU's segmentation data: resident memory (README.md, Steady state, has the figure) in
// a daemon that only prints help, if ever. Every help text here is ASCII, so a character is a column.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export default function stringWidth(text) {
  if (typeof text !== 'string') return 0;
  let width = 0;
  for (const c of text.replace(ANSI, '')) if (c >= ' ') width++;
  return width;
}
