import { parse } from 'yaml';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function named(list: unknown, name: string, field: string): Obj | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry: unknown = list.find((e) => isObj(e) && e.name === name);
  return isObj(entry) && isObj(entry[field]) ? entry[field] : undefined;
}

/**
 * What is wrong with a kubeconfig (YAML or JSON), or nothing: it needs a current context whose
 * cluster has an http(s) server, and whose user, when named, exists. The messages never quote
 * the text (it holds credentials).
 */
export function kubeconfigProblems(text: string): string[] {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: false, maxAliasCount: 50 });
  } catch {
    return ['not valid YAML or JSON'];
  }
  if (!isObj(doc)) return ['not a kubeconfig: expected a mapping with clusters, contexts and current-context'];
  if (doc.kind !== undefined && doc.kind !== 'Config') return ['kind must be Config'];
  const current = doc['current-context'];
  if (typeof current !== 'string' || current === '') return ['current-context is missing'];
  const context = named(doc.contexts, current, 'context');
  if (!context) return [`the current context ${JSON.stringify(current)} is not in contexts`];
  const problems: string[] = [];
  if (typeof context.cluster !== 'string') problems.push('the current context names no cluster');
  else {
    const cluster = named(doc.clusters, context.cluster, 'cluster');
    if (!cluster) problems.push(`the cluster ${JSON.stringify(context.cluster)} of the current context is not in clusters`);
    else if (typeof cluster.server !== 'string' || !/^https?:\/\/[^\s/]+/.test(cluster.server) || !URL.canParse(cluster.server)) {
      problems.push('the cluster of the current context has no http(s) server URL');
    }
  }
  if (context.user !== undefined) {
    if (typeof context.user !== 'string' || !named(doc.users, context.user, 'user')) problems.push('the user of the current context is not in users');
  }
  return problems;
}
