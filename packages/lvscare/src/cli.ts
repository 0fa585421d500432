import { IpvsClient, NetlinkError } from '@kha/netlink-ffi';
import { commandLine } from './command-line.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './exit.js';
import { type ServiceWithDestinations, renderTable, toJson } from './ipvs-view.js';
import { care, careOptions } from './commands/care.js';
import { VERSION } from './version.js';

async function listIpvs(json: boolean, out: NodeJS.WritableStream): Promise<void> {
  const client = await IpvsClient.open();
  try {
    const info = await client.info();
    const entries: ServiceWithDestinations[] = [];
    for (const service of await client.services()) {
      entries.push({ service, destinations: await client.destinations(service) });
    }
    out.write(json ? `${JSON.stringify(toJson(entries), null, 2)}\n` : renderTable(info, entries));
  } finally {
    await client.close();
  }
}

/**
 * Runs the CLI and resolves with the exit status; prints one line on error, never a stack trace.
 * The parser only picks the command: it runs after parsing, so a daemon that runs for months does
 * not keep the whole parser alive.
 */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  try {
    const command = await parseCommand(argv, out);
    return command ? await command() : EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

type Command = () => Promise<number>;

/** The chosen command, ready to run; undefined when the parser already answered (--help). */
async function parseCommand(
  argv: string[],
  out: NodeJS.WritableStream,
): Promise<Command | undefined> {
  let chosen: Command | undefined;
  await commandLine(argv, 'lvscare')
    .env('CARE')
    .command(
      'care',
      'keep the VIP balanced over the healthy masters',
      (y) => careOptions(y),
      (args) => {
        chosen = () => care(args as never);
      },
    )
    .command('version', 'print the version', {}, () => {
      chosen = async () => {
        out.write(`lvscare ${VERSION} (node ${process.version})\n`);
        return EXIT_OK;
      };
    })
    .command('ipvs', 'inspect what the kernel holds', (y) =>
      y
        .command(
          'list',
          'list virtual services and their real servers, like ipvsadm -Ln --stats',
          (yy) => yy.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
          (args) => {
            chosen = async () => {
              await listIpvs(args.json, out);
              return EXIT_OK;
            };
          },
        )
        .demandCommand(1, 'name an ipvs subcommand: list'),
    )
    .demandCommand(1, 'name a command: care, version, ipvs list')
    .parseAsync();
  return chosen;
}

function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`lvscare: ${err.message} (see lvscare --help)\n`);
    return EXIT_USAGE;
  }
  if (err instanceof NetlinkError) {
    process.stderr.write(`lvscare: ${err.message}\n`);
    return EXIT_FAILURE;
  }
  process.stderr.write(`lvscare: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT_FAILURE;
}
