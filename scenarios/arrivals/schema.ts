import { z } from 'zod';
import { poissonSchema } from './poisson.ts';
import { diurnalSchema } from './diurnal.ts';
import { onOffSchema } from './onoff.ts';
import { sessionsSchema } from './sessions.ts';
import { heavyTailedSchema } from './heavy-tailed.ts';
import { synchronizedSchema } from './synchronized.ts';

/**
 * The user-facing (YAML) form of an arrival model, chosen by `kind`:
 * durations as text (`5m`, `24h`), rates as numbers with the unit in the
 * field's name (`ratePerSec`, `ratePerHour`, `onRatePerMin`). Objects are
 * strict, so a misspelt field is an error at its path rather than a silently
 * applied default. Parses to an ArrivalSpec (spec.ts) in milliseconds; the
 * test checks that the two types are equal.
 */
export const arrivalSpecSchema = z.discriminatedUnion('kind', [
  poissonSchema,
  diurnalSchema,
  onOffSchema,
  sessionsSchema,
  heavyTailedSchema,
  synchronizedSchema,
]);
