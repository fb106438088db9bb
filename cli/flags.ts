import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.ts';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * Reads argv with node's parseArgs, strict and without positionals; an
 * unknown flag or a missing value is a {@link UsageError}.
 */
export function readFlags<const O extends FlagOptions>(argv: readonly string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Parses a flag's value with `parse`; its error becomes a usage error: "<flag>: <message>". */
export function flagValue<T>(text: string, flag: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** {@link flagValue} for a quantity that must be above zero (a duration, an interval). */
export function positiveValue(text: string, flag: string, parse: (text: string) => number): number {
  const n = flagValue(text, flag, parse);
  if (!(n > 0)) throw new UsageError(`${flag}: must be positive, got "${text}"`);
  return n;
}

/** A positive finite number, e.g. a speedup. */
export function positiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${flag}: expected a positive number, got "${text}"`);
  return n;
}

/** A whole number of at least 1 written in digits, e.g. a count of runs. */
export function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) throw new UsageError(`${flag}: expected a positive integer, got "${text}"`);
  return Number(text);
}

/** A whole number of at least 0 written in digits, e.g. a seed. */
export function nonNegativeInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${flag}: expected a non-negative integer, got "${text}"`);
  return Number(text);
}

/** One of a few words, e.g. --backend local | k8s. */
export function oneOf<const C extends readonly string[]>(text: string, flag: string, choices: C): C[number] {
  if (!choices.includes(text)) throw new UsageError(`${flag}: expected ${choices.join(' or ')}, got "${text}"`);
  return text;
}

/** A comma-separated list, items trimmed, empty items dropped. */
export function listValue(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
