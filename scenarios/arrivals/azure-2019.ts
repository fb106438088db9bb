import type { DistributionSpec } from '../distributions.ts';

/**
 * Figures from the Azure Functions 2019 study: Shahrad et al., "Serverless
 * in the Wild: Characterizing and Optimizing the Serverless Workload at a
 * Large Cloud Provider", USENIX ATC 2020 (two weeks of production traffic,
 * July 2019; public trace: Azure/AzurePublicDataset, AzureFunctionsDataset2019).
 */

/**
 * Execution time of one invocation: the paper's log-normal fit to function
 * execution times, mu = -0.38 and sigma = 2.36 for ln(seconds) (Section 3,
 * execution-time distribution), i.e. a median of exp(-0.38) s = 684 ms with a
 * very long tail (p99 about 165 s). For a template's `work`.
 */
export const AZURE_2019_DURATION: DistributionSpec = { kind: 'lognormal', medianMs: Math.exp(-0.38) * 1000, sigma: 2.36 };

/**
 * Per-app mean invocation rate as a lognormal in invocations per hour,
 * fitted to two points of the paper's rate distribution (Section 3,
 * invocation frequency): 45% of apps are invoked at most once an hour and
 * 81% at most once a minute on average. With ln R ~ N(mu, sigma^2) and z_p
 * the standard normal quantile:
 *   P(R <= 1/h)  = 0.45  =>  (ln 1  - mu)/sigma = z_0.45 = -0.125661346855074
 *   P(R <= 60/h) = 0.81  =>  (ln 60 - mu)/sigma = z_0.81 =  0.877896295051229
 * Subtracting, sigma = ln 60/(z_0.81 - z_0.45) = 4.094345/1.003558 = 4.079830,
 * then mu = -sigma*z_0.45 = 0.512677, so the median is e^mu = 1.669755 per
 * hour. The mean, e^(mu + sigma^2/2) = 6,872 per hour, is carried by a few
 * percent of apps: 3% exceed one invocation a second.
 */
export const AZURE_2019_RATE = { medianRatePerHour: 1.6697550370071488, sigma: 4.079829988085895 } as const;
