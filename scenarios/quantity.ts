/**
 * Kubernetes resource quantities (`512Mi`, `2Gi`, `1.5G`, `500m`, `1e3`), as
 * in k8s.io/apimachinery's resource.Quantity: a signed decimal number, then
 * a binary-SI suffix (Ki Mi Gi Ti Pi Ei), a decimal-SI suffix (n u m k M G T
 * P E) or a decimal exponent (e3, E-2).
 *
 * Written here rather than taken from @kubernetes/client-node because its
 * `quantityToScalar` is not exported from the package entry, refuses
 * fractional binary quantities such as `1.5Gi`, and loading the client would
 * slow every simulator start; the grammar is small and tested here.
 */

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/;

/** Parses a quantity into its plain value (bytes for memory, cores for cpu). Throws on anything else. */
export function parseQuantity(text: string): number {
  const m = QUANTITY.exec(text.trim());
  if (m === null) {
    throw new Error(`"${text}" is not a Kubernetes quantity (e.g. 512Mi, 2Gi, 1.5G, 500m)`);
  }
  const n = Number(m[1]);
  if (m[2] !== undefined) return n * BINARY[m[2]]!;
  if (m[3] !== undefined) return n * 10 ** Number(m[3].slice(1));
  return n * DECIMAL[m[4] ?? '']!;
}

/** A memory quantity in MiB (`512Mi` is 512, `1Gi` is 1024, `1G` is about 953.7). */
export function parseMemoryMiB(text: string): number {
  return parseQuantity(text) / 2 ** 20;
}

/**
 * A cpu quantity in millicores (`500m` is 500, `2` is 2000), rounded to the
 * nanocore, the finest a quantity can say: read as cores and multiplied
 * back, `9m` would be 9.000000000000002 and a pod would ask for that.
 */
export function parseCpuMilli(text: string): number {
  return Math.round(parseQuantity(text) * 1e9) / 1e6;
}
