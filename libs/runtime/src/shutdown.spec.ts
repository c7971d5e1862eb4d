import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { Shutdown } from './shutdown';

const quiet = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, done) => done() }) });

describe('Shutdown', () => {
  it('stops components in reverse order of registration, once, even when one fails', async () => {
    const order: string[] = [];
    const shutdown = new Shutdown({ logger: quiet, signals: [], exit: () => undefined });
    shutdown.add('nats', () => void order.push('nats'));
    shutdown.add('http', () => Promise.reject(new Error('already closed')));
    shutdown.add('informers', async () => void order.push('informers'));
    await Promise.all([shutdown.run(), shutdown.run()]);
    expect(order).toEqual(['informers', 'nats']);
  });

  it('exits with 0 after a signal, having stopped everything', async () => {
    const exits: number[] = [];
    const stopped: string[] = [];
    const shutdown = new Shutdown({ logger: quiet, signals: ['SIGUSR2'], exit: (code) => exits.push(code) });
    shutdown.add('worker', () => void stopped.push('worker'));
    process.emit('SIGUSR2', 'SIGUSR2');
    await shutdown.run();
    await new Promise((r) => setImmediate(r));
    expect(stopped).toEqual(['worker']);
    expect(exits).toEqual([0]);
  });
});
