import type { PresetName } from '@netbroker/contracts';

/**
 * Named reserved sets. A pool only applies the entries of its own family, and entries outside the
 * pool change nothing.
 */
export const presets: Record<PresetName, string[]> = {
  'ovh-mks-free': ['10.2.0.0/16', '10.3.0.0/16', '172.17.0.0/16'],
  'ovh-mks-standard': ['10.240.0.0/13', '10.3.0.0/16'],
  'non-routable': ['127.0.0.0/8', '169.254.0.0/16', '0.0.0.0/8', '224.0.0.0/4', '::1/128', 'fe80::/10'],
};
