// Stands in for string-width in the image bundle (see scripts/bundle.mjs): yargs' help layout
// (cliui, wrap-ansi) measures text with it, and the real one builds an Intl.Segmenter when loaded,
// which maps ICU's segmentation data: 3.4 MiB of resident memory in a daemon that only printed
// help at most once. Every help text here is ASCII, so a character is a column.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export default function stringWidth(text) {
  if (typeof text !== 'string') return 0;
  let width = 0;
  for (const c of text.replace(ANSI, '')) if (c >= ' ') width++;
  return width;
}
