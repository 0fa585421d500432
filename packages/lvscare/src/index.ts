export { main } from './cli.js';
export { VERSION } from './version.js';
export * from './exit.js';
export * from './ipvs-view.js';
