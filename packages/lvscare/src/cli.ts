// The lvscare CLI: care, version, ipvs list, help, completion. Parsing only picks the command and
// checks its flags; the command runs after yargs has returned.
import { EXIT_OK, UsageError, reportError } from './exit.js';
import { listIpvs } from './commands/ipvs-list.js';
import {
  CARE_COMMAND,
  CARE_DESCRIBE,
  CARE_ENV_PREFIX,
  CARE_FLAGS,
  careFromParsed,
  careOptions,
  readCareArgs,
} from './commands/care-args.js';
import {
  cliParser,
  helpAndCompletionWords,
  versionFlags,
  versionText,
} from './commands/cli-parser.js';
import { VERSION } from './version.js';

type Command = () => Promise<number>;

/** Runs the CLI and resolves with the exit status; prints one line per problem, never a stack trace. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  try {
    const command = await parseCommand(argv, out, env);
    return command ? await command() : EXIT_OK;
  } catch (e) {
    return reportError('lvscare', e, err);
  }
}

async function parseCommand(
  argv: string[],
  out: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv,
): Promise<Command | undefined> {
  const args = helpAndCompletionWords(argv);
  const read = args[0] === 'care' ? readCareArgs(args.slice(1), env) : undefined;
  let chosen: Command | undefined;
  const parser = cliParser(
    'lvscare',
    read ? ['care', ...read.args] : args,
    VERSION,
    read ? CARE_FLAGS.map(([n]) => n) : [],
  )
    .usage("lvscare <command> [flags]: a drop-in for sealos lvscare, on the node's own IPVS")
    .command(
      CARE_COMMAND,
      CARE_DESCRIBE,
      (y) => careOptions(y, CARE_ENV_PREFIX),
      (a) => {
        const { config, notes } = careFromParsed(a, read ?? readCareArgs([]), a.ignored);
        chosen = async () => (await import('./commands/care.js')).care(config, notes);
      },
    )
    .command('version', 'print the version', versionFlags, (a) => {
      if (a._.length > 1)
        throw new UsageError(`version takes no arguments: ${a._.slice(1).join(' ')}`);
      chosen = () => {
        out.write(versionText('lvscare', VERSION, a.short));
        return Promise.resolve(EXIT_OK);
      };
    })
    .command('ipvs', 'inspect what the kernel holds', (y) =>
      y
        .command(
          'list',
          'list virtual services and their real servers, like ipvsadm -Ln --stats',
          (yy) => yy.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
          (a) => {
            chosen = async () => {
              await listIpvs(a.json, out);
              return EXIT_OK;
            };
          },
        )
        .demandCommand(1, 'name an ipvs subcommand: list'),
    )
    .command('help [command..]', 'show the help of a command, e.g. lvscare help care')
    .demandCommand(1, 'name a command: care, version, ipvs list, help, completion');
  await parser.parseAsync();
  return chosen;
}
