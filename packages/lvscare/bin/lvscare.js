#!/usr/bin/env -S node --max-semi-space-size=1
// A small young generation: lvscare allocates little per second, and the default lets the heap's
// nursery grow to tens of MiB of resident memory before collecting.
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv.slice(2));
