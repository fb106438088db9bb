import { z } from 'zod';
import { durationMs } from '../fields.ts';

// Field types shared by the arrival models' YAML forms, beside the general ones of scenarios/fields.ts.

/** A rate, a finite number >= 0 whose unit is in the field's name (`ratePerSec`, `ratePerHour`). */
export const rate = z
  .number({ error: (i) => `expected a rate (a finite number >= 0), got ${typeof i.input === 'number' ? String(i.input) : JSON.stringify(i.input)}` })
  .finite()
  .nonnegative();

/** A duration that must be > 0 (a period, a mean sojourn): zero would make the model loop without advancing time. */
export const positiveDurationMs = durationMs.refine((v) => v > 0, { message: 'must be > 0' });
