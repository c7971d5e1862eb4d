import { describe, expect, it } from 'vitest';
import { age, conditionInWords, conditionName, reasonInWords } from './words';

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

  it.each([
    [0, '0 s'],
    [59_000, '59 s'],
    [60_000, '1 min'],
    [7_200_000, '2 h'],
    [3 * 86_400_000, '3 d'],
  ])('an age of %i ms reads %s', (ms, text) => {
    expect(age(new Date(0).toISOString(), ms)).toBe(text);
  });
});
