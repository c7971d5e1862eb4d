import { describe, expect, it } from 'vitest';
import { portsText, projectPath, readyText } from './page';

describe('project page words', () => {
  it.each([
    ['acme/web', 'acme/web'],
    ['a b/c?d', 'a%20b/c%3Fd'],
  ])('puts the project %s into a path as %s', (qualified, path) => {
    expect(projectPath(qualified)).toBe(path);
  });

  it('lists ports as port/protocol', () => {
    expect(portsText([{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }])).toBe('80/TCP, 53/UDP');
  });

  it.each([
    [{ ready: true, reason: 'Programmed', message: '' }, 'Ready: programmed'],
    [{ ready: false, reason: 'Pending', message: 'waiting for an address' }, 'Not ready: pending — waiting for an address'],
  ])('says %j as “%s”', (status, text) => {
    expect(readyText(status)).toBe(text);
  });
});
