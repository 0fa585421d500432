// Reading a file as a step's plan sees it: its text, or undefined when it is not there.
import { promises as fs } from 'node:fs';

export async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function textIfPresent(path: string): Promise<string | undefined> {
  return (await readIfPresent(path))?.toString('utf8');
}
