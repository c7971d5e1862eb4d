import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive as alive } from './process';


/** One of a fixed number of numbered resources, held by this process until `release()`. */
export interface Slot {
  readonly index: number;
  release(): void;
}

/**
 * Takes the first free slot of `count` under `dir` (a file `<index>.pid` naming its owner). A slot
 * whose owner process is gone is free again: a SIGKILLed run does not keep its slot. This is how
 * two stacks on one machine get different Docker data roots and node address ranges.
 */
export function takeSlot(dir: string, count: number, what: string): Slot {
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    for (let index = 0; index < count; index++) {
      const file = join(dir, `${index}.pid`);
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return { index, release: () => rmSync(file, { force: true }) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = Number(readFileSync(file, 'utf8'));
        // Half-written by a racing taker (empty): leave it to the next round.
        if (owner && !alive(owner)) rmSync(file, { force: true });
      }
    }
  }
  throw new Error(`all ${count} ${what} slots under ${dir} are taken by running processes`);
}
