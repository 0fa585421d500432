import { EXIT_OK, EXIT_USAGE, VERSION, commandLine } from '@kha/lvscare';

/** The kha CLI. join / reset / manifest arrive with the installer work; today it knows its version. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  try {
    await commandLine(argv, 'kha')
      .command('version', 'print the version', {}, () => {
        out.write(`kha ${VERSION} (node ${process.version})\n`);
      })
      .demandCommand(1, 'name a command: version')
      .parseAsync();
    return EXIT_OK;
  } catch (err) {
    process.stderr.write(
      `kha: ${err instanceof Error ? err.message : String(err)} (see kha --help)\n`,
    );
    return EXIT_USAGE;
  }
}
