// The values of helm/netbroker, as one zod schema: `npm run chart:generate` writes
// values.schema.json (what helm validates every install and upgrade against) and the values
// reference of helm/netbroker/README.md from it, and test/chart checks both are current and that
// values.yaml is valid under it. Settings the services read reuse their own contracts (pool specs,
// the annotation policy, load balancer providers), so the chart refuses what the services would.
import { AnnotationPolicy, LbProvider, Name, PoolSpec } from '@netbroker/contracts';
import { z } from 'zod';

/** Kubernetes objects the chart passes through as given (affinity, resources, …): checked by the apiserver. */
const object = (what: string) => z.record(z.string(), z.unknown()).describe(what);
const objects = (what: string) => z.array(z.record(z.string(), z.unknown())).describe(what);
const stringMap = (what: string) => z.record(z.string(), z.string()).describe(what);
const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR, e.g. 10.244.0.0/16');
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63);

/** The Deployments: each takes every key of `defaults` (the router only when `router.enabled`). */
export const COMPONENTS = ['api', 'ipam', 'provisioner', 'syncer', 'mapper', 'exposer', 'router'] as const;
export type Component = (typeof COMPONENTS)[number];

const probe = z
  .strictObject({
    initialDelaySeconds: z.number().int().min(0).optional(),
    periodSeconds: z.number().int().min(1).optional(),
    timeoutSeconds: z.number().int().min(1).optional(),
    failureThreshold: z.number().int().min(1).optional(),
  })
  .describe('Probe timings; the probe itself is an HTTP GET on the ops port.');

/** What every Deployment takes: under `defaults`, and per component, which wins (maps merged, lists replaced). */
const workload = {
  replicas: z.number().int().min(0).max(50).describe('Pods of the Deployment; a PodDisruptionBudget is added above 1.'),
  resources: object('Container resources (requests/limits).'),
  nodeSelector: stringMap('Pod nodeSelector.'),
  tolerations: objects('Pod tolerations.'),
  affinity: object('Pod affinity.'),
  topologySpreadConstraints: objects('Pod topologySpreadConstraints; an empty labelSelector gets the component\'s labels.'),
  priorityClassName: z.string().describe('Pod priorityClassName.'),
  podAnnotations: stringMap('Extra pod annotations.'),
  podLabels: stringMap('Extra pod labels.'),
  extraEnv: objects('Extra container env entries (name/value or valueFrom).'),
  extraEnvFrom: objects('Extra container envFrom sources.'),
  extraVolumes: objects('Extra pod volumes.'),
  extraVolumeMounts: objects('Extra container volume mounts.'),
  livenessProbe: probe,
  readinessProbe: probe,
  terminationGracePeriodSeconds: z.number().int().min(1).describe('Seconds a pod has to finish in-flight work when stopped.'),
  shutdownDelaySeconds: z
    .number()
    .int()
    .min(0)
    .max(120)
    .describe('A stopping pod keeps serving this long before it is signalled (preStop sleep), so Services stop sending it new connections first.'),
};

const Workload = z.strictObject(workload);
const ComponentValues = Workload.partial();

const RouterValues = ComponentValues.extend({
  enabled: z.boolean().describe('The router (static routes, peerings, private networks): a Deployment; its link pool is added to the ipam\'s pools.'),
});

/**
 * The gateway agent is a DaemonSet on gateway nodes, root and privileged on the node's network
 * (docs/security.md, "The router agent"): it takes nothing from `defaults`, whose placement and
 * security are the Deployments'.
 */
const RouterAgentValues = z.strictObject({
  enabled: z.boolean().describe('The Linux router agent: a DaemonSet on gateway nodes (needs the router-agent image, router-agent.Dockerfile).'),
  namespace: z
    .string()
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/)
    .max(63)
    .describe('Required when enabled: a namespace whose Pod Security level admits privileged pods (e.g. netbroker-gateway), holding the NATS Secrets too.'),
  image: z
    .strictObject({
      repository: z.string().min(1),
      tag: z.string().describe('Default: the chart appVersion.'),
      digest: z.string().regex(/^(sha256:[0-9a-f]{64})?$/).describe('When set, the image is pulled by digest.'),
    })
    .describe('The agent\'s image: the netbroker image plus ip, nft and sysctl, run as root (pull policy: image.pullPolicy).'),
  opsPort: z.number().int().min(1024).max(65535).describe('The ops endpoint on the node\'s own address (host network): pick a port free on gateway nodes.'),
  nodeSelector: stringMap('The gateway nodes.'),
  tolerations: workload.tolerations,
  affinity: workload.affinity,
  priorityClassName: workload.priorityClassName,
  resources: workload.resources,
  podAnnotations: workload.podAnnotations,
  podLabels: workload.podLabels,
  extraEnv: workload.extraEnv,
  extraEnvFrom: workload.extraEnvFrom,
  extraVolumes: workload.extraVolumes,
  extraVolumeMounts: workload.extraVolumeMounts,
  livenessProbe: probe,
  readinessProbe: probe,
  terminationGracePeriodSeconds: workload.terminationGracePeriodSeconds,
});

/** An interface name, as the agent's PRIVATE_NETWORKS takes it (services/router-agent/src/config.ts). */
const ifName = z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'an interface name of at most 15 characters');

const ApiValues = ComponentValues.extend({
  service: z
    .strictObject({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']),
      port: z.number().int().min(1).max(65535),
      annotations: stringMap('Service annotations.'),
    })
    .describe('The Service in front of the API.')
    .optional(),
  ingress: z
    .strictObject({
      enabled: z.boolean(),
      className: z.string().describe('spec.ingressClassName; empty: the cluster default.'),
      annotations: stringMap('Ingress annotations.'),
      hosts: z.array(z.strictObject({ host: z.string().min(1), paths: z.array(z.string().startsWith('/')).min(1) })),
      tls: objects('spec.tls entries (secretName, hosts).'),
    })
    .describe('An Ingress for the API (optional).')
    .optional(),
});

export const ChartValues = z.strictObject({
  nameOverride: z.string().max(40).describe('Replaces the chart name in object names.'),
  fullnameOverride: z.string().max(40).describe('Replaces <release>-<chart> in object names.'),
  commonLabels: stringMap('Labels added to every object.'),
  image: z
    .strictObject({
      repository: z.string().min(1),
      tag: z.string().describe('Default: the chart appVersion.'),
      digest: z.string().regex(/^(sha256:[0-9a-f]{64})?$/).describe('When set, the image is pulled by digest.'),
      pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
    })
    .describe('The one image every component runs.'),
  imagePullSecrets: objects('Pod imagePullSecrets.'),
  nats: z
    .strictObject({
      url: z.string().describe('Required. NATS server URLs, comma-separated (nats:// or tls://), without credentials.'),
      replicas: z.number().int().min(1).max(5).describe('Replicas of netbroker\'s KV buckets and streams: 3 on a JetStream cluster.'),
      auth: z
        .strictObject({
          existingSecret: z.string().describe('A Secret with the NATS credentials; empty: none.'),
          tokenKey: z.string().describe('Key of a token in it.'),
          credsKey: z.string().describe('Key of a .creds file (JWT + nkey seed) in it.'),
        })
        .describe('NATS credentials, mounted as files (never put into the URL).'),
      tls: z
        .strictObject({
          existingSecret: z.string().describe('A Secret with the CA (and a client certificate for mTLS); empty: no TLS settings.'),
          caKey: z.string(),
          certKey: z.string().describe('Client certificate key in the Secret; empty: no client certificate.'),
          keyKey: z.string(),
        })
        .describe('TLS towards NATS.'),
    })
    .describe('The NATS JetStream netbroker keeps its state in (not installed by this chart).'),
  secrets: z
    .strictObject({
      existingSecret: z.string().describe('A Secret with the admin token and the encryption key; empty: generated once and kept.'),
      adminTokenKey: z.string().min(1),
      encryptionKeyKey: z.string().min(1),
    })
    .describe('The admin token and the key that seals tenant kubeconfigs at rest.'),
  config: z
    .strictObject({
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
      ipam: z.strictObject({
        pools: z.array(PoolSpec).describe('Pools created at start when absent; the admin API manages the rest.'),
        defaultProjectPool: dnsLabel,
        egressPoolCloud: dnsLabel,
        egressPoolPublic: dnsLabel,
      }),
      host: z
        .strictObject({
          podCIDRs: z.array(cidr).describe('The host cluster\'s pod CIDRs: reserved in every pool.'),
          serviceCIDRs: z.array(cidr).min(1).describe('The host cluster\'s service CIDRs: reserved in every pool; the first is where virtual clusters\' ClusterIPs must lie.'),
        })
        .describe('The host cluster\'s own ranges.'),
      loadBalancer: z
        .strictObject({
          provider: LbProvider,
          class: z.string().describe('spec.loadBalancerClass of exposure Services.'),
          metallbAddressPool: z.string(),
          openstackClass: z.string(),
          ovhClass: z.string(),
          ovhFlavor: z.string(),
        })
        .describe('How an exposure Service asks the host\'s load balancer for its EIP.'),
      vclusterServers: z
        .strictObject({
          allowed: z.array(z.string().min(1)).describe('CIDRs and DNS suffixes tenant kubeconfigs may point at; empty: anywhere not denied.'),
          denied: z.array(z.string().min(1)).describe('Added to the built-in denials (loopback, link-local, metadata, the host apiserver, NATS).'),
          allowInsecureTLS: z.boolean().describe('Accept insecure-skip-tls-verify in tenant kubeconfigs.'),
        })
        .describe('Where tenants\' virtual-cluster servers may be: netbroker never connects elsewhere.'),
      annotationPolicy: AnnotationPolicy.describe('Which tenant annotations reach host Ingresses and Services, and auth hosts (docs/security-annotations.md).'),
      internalCIDRs: z.array(cidr).describe('Destinations project egress never reaches directly.'),
      dns: z.strictObject({ namespace: dnsLabel, podLabels: stringMap('Labels of the cluster DNS pods project NetworkPolicies allow.') }),
      api: z.strictObject({
        rateLimitPerSecond: z.number().int().min(1),
        rateLimitBurst: z.number().int().min(1),
        bodyLimitBytes: z.number().int().min(1024),
        readStalenessMs: z.number().int().min(0).max(60_000).describe('How old the view a GET reads may be (0: a read barrier on every request; services/api/README.md).'),
      }),
      entryNamespace: dnsLabel.describe('Namespace of `<service>-ext` entries in consumers\' virtual clusters.'),
      router: z
        .strictObject({
          backends: z
            .array(z.enum(['linux', 'kube-ovn']))
            .min(1)
            .max(2)
            .describe('Where peerings and routes are realised: linux (router agents on gateway nodes), kube-ovn (the projects\' Vpc objects), or both.'),
          kubeOvnVpc: z.string().min(1).max(253).describe('The Kube-OVN Vpc of a project: {tenant}, {project} replaced.'),
          linkPool: z
            .strictObject({
              name: Name.describe('The ipam prefix pool of peering links.'),
              prefixes: z
                .array(cidr)
                .describe('Required with the router unless config.ipam.pools has the pool: the links\' CIDRs, added to the ipam\'s pools (README: "Choosing the link pool").'),
              prefixLength: z.number().int().min(30).max(31).describe('One link: 30, or 31 for point-to-point.'),
            })
            .describe('The peering links\' addresses.'),
          reservedCIDRs: z.array(cidr).describe('Ranges no static route may point into, besides the host\'s ranges and the ipam\'s pools.'),
          maxRoutes: z.number().int().min(0).max(1_000).describe('Static routes per project.'),
          maxPeeringsPerProject: z.number().int().min(0).max(1_000),
          agentStaleMs: z.number().int().min(1_000).describe('An agent silent this long is not waited for (3 × its resync).'),
          resyncIntervalMs: z.number().int().min(1_000),
          leaseSeconds: z.number().int().min(1).max(300).describe('The writer lease: another replica takes over this long after the holder died.'),
        })
        .describe('The router (router.enabled): services/router/README.md.'),
      routerAgent: z
        .strictObject({
          netnsPrefix: z.string().regex(/^[a-z0-9-]{1,16}$/).describe('Router namespaces are <prefix><hash>; unplanned namespaces of this prefix are deleted.'),
          projectBridge: z.string().min(1).max(64).describe('The bridge of a project\'s network on the gateway: {tenant}, {project}, {hash} replaced, at most 15 characters.'),
          projectNetns: z.string().max(200).describe('The network namespace those bridges are in; empty: the node\'s own.'),
          privateNetworks: z
            .record(Name, z.strictObject({ bridge: ifName, netns: z.string().min(1).max(200).optional() }))
            .describe('The private networks gateway nodes reach: {"<network>": {"bridge": "…", "netns": "…"}}.'),
          resyncIntervalMs: z.number().int().min(1_000).describe('The whole plan is applied again this often.'),
        })
        .describe('The router agent (routerAgent.enabled): services/router-agent/README.md.'),
    })
    .describe('What the services do: every value is checked here and again by the service at start.'),
  defaults: Workload.describe('Workload settings of every component, unless the component sets its own.'),
  api: ApiValues,
  ipam: ComponentValues,
  provisioner: ComponentValues,
  syncer: ComponentValues,
  mapper: ComponentValues,
  exposer: ComponentValues,
  router: RouterValues,
  routerAgent: RouterAgentValues.describe('The router agent\'s DaemonSet (not merged with defaults).'),
  serviceAccount: z.strictObject({ annotations: stringMap('Annotations on every component\'s ServiceAccount.') }),
  rbac: z
    .strictObject({
      create: z.boolean().describe('ClusterRoles and bindings for the components that use the host cluster; false: you grant them (docs).'),
      admissionPolicy: z.boolean().describe('A ValidatingAdmissionPolicy that denies netbroker\'s ServiceAccounts any write outside project namespaces.'),
    })
    .describe('What netbroker may do in the host cluster.'),
  podDisruptionBudget: z.strictObject({ maxUnavailable: z.number().int().min(1) }).describe('For components with more than one replica.'),
  networkPolicy: z
    .strictObject({
      enabled: z.boolean(),
      apiFrom: objects('NetworkPolicy peers that may reach the API port; empty: everyone.'),
      metricsFrom: objects('Peers that may scrape the ops port; empty: everyone.'),
    })
    .describe('Ingress NetworkPolicies for netbroker\'s own pods (egress is left open: tenants\' servers are anywhere allowed).'),
  serviceMonitor: z
    .strictObject({
      enabled: z.boolean().describe('A prometheus-operator ServiceMonitor for every component (needs its CRD).'),
      interval: z.string(),
      labels: stringMap('Labels your Prometheus selects ServiceMonitors by.'),
    }),
  tests: z.strictObject({ enabled: z.boolean().describe('The `helm test` pod (checks /readyz and lists projects with the admin token).') }),
  extraObjects: z.array(z.union([z.record(z.string(), z.unknown()), z.string()])).describe('More objects rendered with the release (maps or template strings).'),
});
export type ChartValues = z.infer<typeof ChartValues>;

/** The JSON Schema helm checks values against: draft 2020-12, closed objects, no remote references. */
export function valuesJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ChartValues, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  return { ...schema, title: 'netbroker chart values' };
}
