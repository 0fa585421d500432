// What the kernel tier drives directly: join's steps and its record, built from the flag values,
// so a test can stop a join after any step the way a power cut would.
export { joinPlan } from './join.js';
export { podSettings } from './settings.js';
