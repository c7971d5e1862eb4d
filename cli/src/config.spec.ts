import { describe, expect, it } from 'vitest';
import { checkApiUrl, checkToken, configPath, isCleartext, parseConfig, resolveTarget, type CliConfig } from './config';
import { UsageError } from './exit';
import { parseDuration } from './options';

const config: CliConfig = {
  currentContext: 'dev',
  contexts: { dev: { api: 'http://127.0.0.1:8080', token: 'nbt_dev' }, prod: { api: 'https://nb.example.com/', token: 'nbt_prod' } },
};

describe('which API and token', () => {
  it.each([
    ['the current context', config, {}, undefined, { api: 'http://127.0.0.1:8080', token: 'nbt_dev', context: 'dev' }],
    ['--context', config, {}, 'prod', { api: 'https://nb.example.com', token: 'nbt_prod', context: 'prod' }],
    ['NETBROKER_TOKEN over the context', config, { NETBROKER_TOKEN: 'nbt_env' }, undefined, { api: 'http://127.0.0.1:8080', token: 'nbt_env', context: 'dev' }],
    ['NETBROKER_API over the context', config, { NETBROKER_API: 'https://other.example.com' }, 'prod', { api: 'https://other.example.com', token: 'nbt_prod', context: 'prod' }],
    ['the environment alone', undefined, { NETBROKER_API: 'http://h:1', NETBROKER_TOKEN: 't' }, undefined, { api: 'http://h:1', token: 't' }],
  ])('%s', (_name, cfg, env, flag, expected) => {
    expect(resolveTarget(cfg, env, flag)).toEqual(expected);
  });

  it.each([
    ['no config, no environment', undefined, {}, undefined, 'no API URL and token: run netbroker login'],
    ['a token but no API', undefined, { NETBROKER_TOKEN: 't' }, undefined, 'no API URL: run'],
    ['an unknown context', config, {}, 'staging', 'no context "staging"'],
    ['a token with a line break', undefined, { NETBROKER_API: 'http://h', NETBROKER_TOKEN: 'nbt_x\nInjected: 1' }, undefined, 'characters a token cannot have'],
  ])('refuses %s (usage error)', (_name, cfg, env, flag, message) => {
    expect(() => resolveTarget(cfg, env, flag)).toThrow(UsageError);
    expect(() => resolveTarget(cfg, env, flag)).toThrow(message);
  });

  it('never quotes the token in an error', () => {
    const secret = 'nbt_super secret';
    expect(() => checkToken(secret)).toThrow(UsageError);
    try {
      checkToken(secret);
    } catch (e) {
      expect((e as Error).message).not.toContain('super');
    }
  });
});

describe('the API URL', () => {
  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['https://nb.example.com/', 'https://nb.example.com'],
    ['https://nb.example.com/netbroker//', 'https://nb.example.com/netbroker'],
  ])('%s is %s', (text, url) => {
    expect(checkApiUrl(text)).toBe(url);
  });

  it.each([
    ['nb.example.com', 'does not parse'],
    ['ftp://nb.example.com', 'must be http:// or https://'],
    ['https://user:pw@nb.example.com', 'must not hold credentials'],
    ['https://nb.example.com/?token=x', 'must not have a query or fragment'],
  ])('refuses %s', (text, message) => {
    expect(() => checkApiUrl(text)).toThrow(message);
  });

  it.each([
    ['http://127.0.0.1:8080', false],
    ['http://localhost:8080', false],
    ['http://[::1]:8080', false],
    ['https://nb.example.com', false],
    ['http://nb.example.com', true],
    ['http://10.0.0.5:8080', true],
  ])('%s sends the token in clear: %s', (api, cleartext) => {
    expect(isCleartext(api)).toBe(cleartext);
  });
});

describe('the config file', () => {
  it('is NETBROKER_CONFIG, else under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configPath({ NETBROKER_CONFIG: '/etc/nb.json' }, '/home/u')).toBe('/etc/nb.json');
    expect(configPath({ XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/x/netbroker/config.json');
    expect(configPath({}, '/home/u')).toBe('/home/u/.config/netbroker/config.json');
  });

  it('reads what it writes, and refuses what it does not understand', () => {
    expect(parseConfig(JSON.stringify(config), 'c')).toEqual({ ...config, contexts: { ...config.contexts } });
    expect(parseConfig('{}', 'c')).toEqual({ contexts: {} });
    expect(() => parseConfig('nope', 'c')).toThrow('c is not JSON');
    expect(() => parseConfig('[]', 'c')).toThrow('c: not an object');
    expect(() => parseConfig('{"contexts":{"a":{"api":"x"}}}', 'c')).toThrow('context a needs api and token strings');
  });
});

describe('durations', () => {
  it.each([
    ['120s', 120_000],
    ['2m', 120_000],
    ['90', 90_000],
    ['1.5s', 1_500],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['0s', undefined],
    ['soon', undefined],
    ['-1s', undefined],
  ])('%s is %s ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
