import { describe, expect, it } from 'vitest';
import { failuresNote, realFailures, simFailures } from '../../fidelity/failures.ts';

describe('failed requests of both halves (issue 18)', () => {
  it('reads the real run\'s classes per policy set and the simulation\'s summed over its seeds', () => {
    const real = realFailures({ policies: [{ name: 'p', failures: { 'restore timeout': 4, 'checkpoint timeout': 1 } }, { name: 'q', failures: {} }, { name: 'old' }] });
    expect([...real]).toEqual([
      ['p', { 'restore timeout': 4, 'checkpoint timeout': 1 }],
      ['q', {}],
    ]);
    const sim = simFailures({ runs: [{ policy: 'p', seed: 1, failedRequests: { 'restore timeout': 2 } }, { policy: 'p', seed: 2, failedRequests: { 'restore timeout': 3, 'restore slots-full': 7 } }, { policy: 'q', seed: 1 }] });
    expect([...sim]).toEqual([['p', { 'restore timeout': 5, 'restore slots-full': 7 }]]);
    expect(realFailures(null).size).toBe(0);
    expect(simFailures({ runs: 'no' }).size).toBe(0);
  });

  it('says both, largest first, and says when the profile does not simulate them; nothing when neither failed', () => {
    expect(failuresNote('p', { 'checkpoint timeout': 1, 'restore timeout': 4 }, { 'restore timeout': 57, 'restore slots-full': 252 }, true)).toBe(
      'Failed requests, p: real restore timeout 4, checkpoint timeout 1; simulated restore slots-full 252, restore timeout 57.',
    );
    expect(failuresNote('p', { 'restore timeout': 1 }, undefined, false)).toBe('Failed requests, p: real restore timeout 1; the simulation gives no request up (its profile has no requestTimeout).');
    expect(failuresNote('p', {}, {}, true)).toBeUndefined();
    expect(failuresNote('p', undefined, { 'restore busy': 0 }, true)).toBeUndefined();
  });
});
