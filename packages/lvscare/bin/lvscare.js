#!/usr/bin/env -S node --max-semi-space-size=1 --no-opt --no-sparkplug --no-maglev --no-regexp-tier-up --optimize-for-size
// A small young generation: lvscare allocates little per second, and the default lets the heap's
// nursery grow to tens of MiB of resident memory before collecting. No optimizing or baseline
// compiler (and regular expressions left to the interpreter), sized for memory: their code and
// metadata cost resident memory a daemon idle 99% of the time never earns back (bench/README.md
// has the figures). These are what V8's --lite-mode stands for, less its --jitless part: under
// Node 20 that one turns WebAssembly off with a warning on every start, which only
// --no-expose-wasm silenced, a flag Node 24's V8 no longer has. This line runs on both.
// The parser loads only when a command needs it: `ipvs list` starts without it.
import { quickCommand } from '../dist/src/quick-command.js';

const argv = process.argv.slice(2);
const quick = quickCommand(argv);
process.exitCode = quick ? await quick() : await (await import('../dist/src/cli.js')).main(argv);
