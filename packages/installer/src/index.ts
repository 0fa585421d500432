// What the kernel tier drives directly: join's and adopt's steps and records, built from the flag
// values, so a test can stop either after any step the way a power cut would; and each command's
// flags, for the flag reference.
export { COMMAND_FLAGS } from './command-flags.js';
export { adoptPlan } from './adopt.js';
export { joinPlan } from './join.js';
export { podSettings } from './settings.js';
