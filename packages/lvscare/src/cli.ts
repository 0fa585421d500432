import { IpvsClient, NetlinkError } from '@kha/netlink-ffi';
import { type CommandSpec, parseCommandLine } from './command-line.js';
import { CARE_COMMAND } from './commands/care-args.js';
import type { RawCareFlags } from './config/care-config.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './exit.js';
import { type ServiceWithDestinations, renderTable, toJson } from './ipvs-view.js';
import { care } from './commands/care.js';
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

const COMMANDS: CommandSpec[] = [
  CARE_COMMAND,
  { name: 'version', describe: 'print the version', flags: {} },
  {
    name: 'ipvs list',
    describe: 'list virtual services and their real servers, like ipvsadm -Ln --stats',
    flags: { json: { type: 'boolean', default: false, describe: 'print JSON' } },
  },
];

/** Runs the CLI and resolves with the exit status; prints one line on error, never a stack trace. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  try {
    const parsed = parseCommandLine('lvscare', COMMANDS, argv, {
      prefix: 'CARE',
      vars: process.env,
    });
    if ('help' in parsed) {
      out.write(parsed.help);
      return EXIT_OK;
    }
    switch (parsed.command.name) {
      case 'care':
        return await care(parsed.values as RawCareFlags);
      case 'version':
        out.write(`lvscare ${VERSION} (node ${process.version})\n`);
        return EXIT_OK;
      default:
        await listIpvs(parsed.values.json === true, out);
        return EXIT_OK;
    }
  } catch (err) {
    return reportError(err);
  }
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
