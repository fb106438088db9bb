import type { PoissonArrivals } from './poisson.ts';
import type { DiurnalArrivals } from './diurnal.ts';
import type { OnOffArrivals } from './onoff.ts';
import type { SessionsArrivals } from './sessions.ts';
import type { HeavyTailedArrivals } from './heavy-tailed.ts';
import type { SynchronizedArrivals } from './synchronized.ts';

/** How the invocations of one group of actors arrive, with times in milliseconds: the parsed form of `arrivalSpecSchema`. */
export type ArrivalSpec = PoissonArrivals | DiurnalArrivals | OnOffArrivals | SessionsArrivals | HeavyTailedArrivals | SynchronizedArrivals;
