import { describe, expect, it } from 'vitest';
import { conditionInWords, conditionName, reasonInWords } from './words';

describe('words', () => {
  it.each([
    ['CidrAllocated', 'Address block'],
    ['EgressReady', 'Egress address'],
    ['SomethingNew', 'Something new'],
  ])('names the condition %s “%s”', (type, name) => {
    expect(conditionName(type)).toBe(name);
  });

  it.each([
    ['Allocated', 'allocated'],
    ['Exhausted', 'the address pool is exhausted'],
    ['OverlapsAllocated', 'the block overlaps one already allocated'],
    ['NotOwned', 'a namespace of that name exists and is not netbroker’s'],
    ['SomeFutureReason', 'some future reason'],
    ['kebab-reason', 'kebab reason'],
  ])('says the reason %s as “%s”', (reason, words) => {
    expect(reasonInWords(reason)).toBe(words);
  });

  it.each([
    [{ type: 'CidrAllocated', status: 'True', reason: 'Allocated' }, 'Address block: yes, allocated'],
    [{ type: 'EgressReady', status: 'False', reason: 'Exhausted' }, 'Egress address: no, the address pool is exhausted'],
    [{ type: 'NamespaceReady', status: 'Unknown', reason: 'Pending' }, 'Host namespace: not yet, pending'],
  ])('puts %j as “%s”', (condition, text) => {
    expect(conditionInWords(condition)).toBe(text);
  });
});
