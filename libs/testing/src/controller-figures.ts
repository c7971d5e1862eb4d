import { eventually } from './eventually';
import { metricSum, type ServiceProcess } from './services';

/** A controller's figures on replicas' /metrics (the runtime's `netbroker_controller_*`). */
export function controllerFigures(controller: string) {
  const sum = async (r: ServiceProcess, metric: string) => metricSum(await (await fetch(`${r.opsUrl}/metrics`)).text(), metric, `controller="${controller}"`);
  const writesOf = (r: ServiceProcess) => sum(r, 'netbroker_controller_writes_total');
  const reconcilesOf = (r: ServiceProcess) => sum(r, 'netbroker_controller_reconciles_total');
  return {
    writesOf,
    reconcilesOf,
    /** Writes of every replica together. */
    writes: async (replicas: Iterable<ServiceProcess>) => (await Promise.all([...replicas].map(writesOf))).reduce((a, b) => a + b, 0),
    /** Waits until every replica went through at least two resyncs (`everyMs` apart) of all `keys`. */
    async twoResyncs(replicas: Iterable<ServiceProcess>, keys: number, everyMs: number, timeoutMs = 30_000): Promise<void> {
      const running = [...replicas];
      const start = Date.now();
      const before = await Promise.all(running.map(reconcilesOf));
      await eventually(
        async () => {
          if (Date.now() - start < 2 * everyMs) throw new Error('two resync periods have not passed yet');
          const now = await Promise.all(running.map(reconcilesOf));
          const behind = now.filter((n, i) => n - before[i]! < 2 * keys).length;
          if (behind > 0) throw new Error(`${behind} replica(s) have not reconciled every key twice yet`);
        },
        { timeoutMs },
      );
    },
  };
}
