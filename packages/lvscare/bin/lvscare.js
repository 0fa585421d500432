#!/usr/bin/env node
// No V8 flags here: `care` re-executes itself with the daemon's (src/lean-runtime.ts says why).
// The parser loads only when a command needs it: `ipvs list` starts without it.
import { reexecLean } from '../dist/src/lean-runtime.js';
import { quickCommand } from '../dist/src/quick-command.js';

const argv = process.argv.slice(2);
reexecLean(argv);
const quick = quickCommand(argv);
process.exitCode = quick ? await quick() : await (await import('../dist/src/cli.js')).main(argv);
