// @kha/lvscare/cli-kit: what lvscare's and kha's command lines share: the yargs parser set-up,
// the pflag-style argument reader, version and help, the flag builders care's flags are made of,
// and how an error becomes a message and an exit status.
export { reportError } from './exit.js';
export {
  cliParser,
  helpAndCompletionWords,
  versionFlags,
  versionText,
  yargsOptions,
} from './commands/cli-parser.js';
export { readPflagArgs } from './commands/pflag-argv.js';
export {
  type FlagMeta,
  flag,
  flagWithDefault,
  flagsOf,
  list,
  text,
  whenParsed,
  why,
} from './config/flag.js';
