import { describe, expect, it } from 'vitest';
import { costModel, formatCost, formatPrice } from '../../reports/cost.ts';
import { recommend } from '../../reports/recommend.ts';
import { row } from './fixtures.ts';

const H = 3600;
// The default scenario's figures (README): scale-to-zero uses less memory, the shared pool fewer workers.
const scaleToZero = row('dedicated-scale-to-zero', { worker_seconds: 1220 * H, gib_seconds: 610 * H, p99_ms: 22_040, overhead_p99_ms: 8160 });
const shared = row('shared-p2c-ttl-pause', { worker_seconds: 576 * H, gib_seconds: 720 * H, p99_ms: 20_500, overhead_p99_ms: 221 });
const slo = { p99: 25_000, maxRejected: 0 };

describe('costModel', () => {
  it('counts worker-hours by default, so a shared pool of half the pods beats small dedicated pods', () => {
    const model = costModel();
    expect(model.of(shared)).toBe(576);
    expect(recommend([scaleToZero, shared], slo, model).policy).toBe('shared-p2c-ttl-pause');
    expect(model.statement).toMatch(/^Cost is worker-hours, ties broken by GiB-hours/);
  });

  it('breaks a worker-hours tie by GiB-hours, then by name', () => {
    const model = costModel();
    const a = row('a', { worker_seconds: 10 * H, gib_seconds: 20 * H });
    const b = row('b', { worker_seconds: 10 * H, gib_seconds: 5 * H });
    expect([a, b].sort(model.compare).map((r) => r.policy)).toEqual(['b', 'a']);
    const c = row('c', { worker_seconds: 10 * H, gib_seconds: 5 * H });
    expect([c, b].sort(model.compare).map((r) => r.policy)).toEqual(['b', 'c']);
  });

  it('weighs both resources by the scenario prices', () => {
    const model = costModel({ workerHour: 0.05, gibHour: 0.005 });
    // 0.05 x 576 + 0.005 x 720 = 32.4; 0.05 x 1,220 + 0.005 x 610 = 64.05.
    expect(model.of(shared)).toBeCloseTo(32.4, 9);
    expect(model.of(scaleToZero)).toBeCloseTo(64.05, 9);
    expect(recommend([scaleToZero, shared], slo, model).policy).toBe('shared-p2c-ttl-pause');
    // Memory alone priced: the old answer, and the model says so.
    const memoryOnly = costModel({ workerHour: 0, gibHour: 0.005 });
    expect(recommend([scaleToZero, shared], slo, memoryOnly).policy).toBe('dedicated-scale-to-zero');
    expect(model.statement).toBe('Cost is 0.05 per worker-hour + 0.005 per GiB-hour of worker memory (the scenario\'s prices), ties broken by worker-hours.');
    expect(formatCost(model, shared)).toBe('price 32.4 (576 worker-h, 720 GiB-h)');
  });

  it('with prices, breaks a price tie by worker-hours', () => {
    const model = costModel({ workerHour: 0, gibHour: 1 });
    const many = row('many-workers', { worker_seconds: 20 * H, gib_seconds: 5 * H });
    const few = row('few-workers', { worker_seconds: 10 * H, gib_seconds: 5 * H });
    expect([many, few].sort(model.compare).map((r) => r.policy)).toEqual(['few-workers', 'many-workers']);
  });

  it('sorts a row with no figures last', () => {
    const model = costModel();
    const empty = row('empty', { worker_seconds: '', gib_seconds: '' });
    expect([empty, shared].sort(model.compare).map((r) => r.policy)).toEqual(['shared-p2c-ttl-pause', 'empty']);
  });

  it('formats prices with the precision they need', () => {
    expect(formatPrice(0.005)).toBe('0.005');
    expect(formatPrice(32.4)).toBe('32.4');
    expect(formatPrice(64.06)).toBe('64.1');
    expect(formatPrice(12_345.6)).toBe('12,346');
    expect(formatPrice(Number.NaN)).toBe('–');
  });
});
