import { describe, expect, it } from 'vitest';
import { chooseBackend, exitFromStatus } from './backends';

describe('chooseBackend', () => {
  it.each([
    [undefined, true, 'containers'],
    [undefined, false, 'process'],
    ['process', true, 'process'],
    ['containers', false, 'containers'],
  ] as const)('with NETBROKER_SERVER_BACKEND=%s and Docker usable=%s runs servers as %s', (forced, usable, kind) => {
    const env = forced === undefined ? {} : { NETBROKER_SERVER_BACKEND: forced };
    expect(chooseBackend(env, usable).kind).toBe(kind);
  });

  it('rejects an unknown backend instead of guessing', () => {
    expect(() => chooseBackend({ NETBROKER_SERVER_BACKEND: 'docker' }, true)).toThrow(/process or containers/);
  });
});

describe('exitFromStatus', () => {
  it.each([
    [0, { code: 0, signal: null }],
    [1, { code: 1, signal: null }],
    [137, { code: null, signal: 'SIGKILL' }],
    [143, { code: null, signal: 'SIGTERM' }],
    [134, { code: null, signal: 'SIGABRT' }],
    [255, { code: 255, signal: null }],
  ])('reads container status %i as %o', (status, exit) => {
    expect(exitFromStatus(status)).toEqual(exit);
  });
});
