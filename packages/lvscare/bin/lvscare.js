#!/usr/bin/env -S node --max-semi-space-size=1 --lite-mode --no-expose-wasm
// A small young generation: lvscare allocates little per second, and the default lets the heap's
// nursery grow to tens of MiB of resident memory before collecting. Lite mode: no optimizing
// compiler, whose code and metadata cost resident memory a daemon idle 99% of the time never
// earns back (bench/README.md has the figures). Lite mode has no WebAssembly, which lvscare
// does not use; saying so keeps V8 from warning about it on every start.
// The parser loads only when a command needs it: `ipvs list` starts without it.
import { quickCommand } from '../dist/src/quick-command.js';

const argv = process.argv.slice(2);
const quick = quickCommand(argv);
process.exitCode = quick ? await quick() : await (await import('../dist/src/cli.js')).main(argv);
