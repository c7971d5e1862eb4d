import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', destination }) };
}

describe('createLogger', () => {
  it('redacts tokens, authorization headers and kubeconfigs', () => {
    const { lines, logger } = capture();
    logger.info(
      { token: 's3cret', req: { headers: { authorization: 'Bearer s3cret' } }, cluster: { kubeconfig: 'apiVersion: v1' }, tenant: 'acme' },
      'request',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('apiVersion');
    expect(lines[0]).toMatchObject({ service: 'test', tenant: 'acme', token: '[redacted]', msg: 'request' });
  });
});
