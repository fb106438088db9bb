import type { AdmissionSpec, RejectReason } from '../types.ts';

/**
 * Decides whether an invocation that found no free worker may park, and for
 * how long. It only decides: the scheduler parks, rejects and sets the timer.
 */
export interface AdmissionPolicy {
  readonly name: AdmissionPolicyName;
  /** How long a parked invocation waits before it is rejected (Infinity: no timer). */
  readonly parkTimeoutMs: number;
  /** With `parked` invocations parked now: null to park one more, else why it is rejected. */
  admit(parked: number): RejectReason | null;
}

/** Admission policy names; a spec names its policy by its numbers (admissionName). */
export type AdmissionPolicyName = 'reject' | 'park';

/** Substrate's early versions: no queue, a 503 "no free workers" at once. */
class RejectAdmission implements AdmissionPolicy {
  readonly name = 'reject';
  readonly parkTimeoutMs = 0;
  admit(): RejectReason | null {
    return 'no-free-worker';
  }
}

/** Substrate's later versions: park up to `parkTimeoutMs` (5 s there), at most `maxParked` at once (2,048 there). */
class ParkAdmission implements AdmissionPolicy {
  readonly name = 'park';
  readonly parkTimeoutMs: number;
  private readonly maxParked: number;

  constructor(spec: AdmissionSpec) {
    this.parkTimeoutMs = spec.parkTimeoutMs;
    this.maxParked = spec.maxParked;
  }

  admit(parked: number): RejectReason | null {
    return parked >= this.maxParked ? 'park-full' : null;
  }
}

/** The admission policy a spec names: zero time or zero room to park is `reject`. */
export function admissionName(spec: AdmissionSpec): AdmissionPolicyName {
  return spec.parkTimeoutMs <= 0 || spec.maxParked <= 0 ? 'reject' : 'park';
}

/** The admission policies by name; each is built from the scenario's spec. */
export const ADMISSION_POLICIES: Readonly<Record<AdmissionPolicyName, (spec: AdmissionSpec) => AdmissionPolicy>> = {
  reject: () => new RejectAdmission(),
  park: (spec) => new ParkAdmission(spec),
};
