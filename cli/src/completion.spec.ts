import { describe, expect, it } from 'vitest';
import { commands } from './commands';
import { bashCompletion, zshCompletion } from './completion';
import { optionNames } from './options';

describe('completion scripts', () => {
  it.each([
    ['bash', bashCompletion(), 'complete -F _netbroker netbroker'],
    ['zsh', zshCompletion(), 'compdef _netbroker netbroker'],
  ])('%s: every verb, noun and flag, and registers itself', (_shell, script, registration) => {
    expect(script).toContain(registration);
    for (const c of commands) {
      expect(script).toContain(c.verb);
      if (c.noun) expect(script).toContain(`"${c.verb} ${c.noun}"`);
    }
    for (const o of optionNames) expect(script).toContain(`--${o}`);
    expect(script).toMatch(/--egress\)[^\n]*cloud public/);
    expect(script).toMatch(/--output\|-o\)[^\n]*table json yaml/);
  });
});
