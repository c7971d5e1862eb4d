/** Every bad or missing variable of a service's environment, reported at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export const isConfigError = (e: unknown): e is ConfigError => e instanceof ConfigError;
