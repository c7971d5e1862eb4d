{{/*
The environment of one component: (dict "root" $ "component" "api"). Each variable is the one
the service's src/config.ts reads; the services check every value again at start.
*/}}
{{- define "netbroker.env" -}}
{{- $v := .root.Values -}}
{{- $c := .component -}}
{{- $secret := include "netbroker.secretName" .root -}}
- name: NATS_URL
  value: {{ include "netbroker.natsUrl" .root | quote }}
- name: NATS_REPLICAS
  value: {{ $v.nats.replicas | quote }}
{{- if $v.nats.auth.existingSecret }}
{{- if and $v.nats.auth.tokenKey $v.nats.auth.credsKey }}
{{- fail "nats.auth: set tokenKey or credsKey, not both" }}
{{- end }}
{{- if $v.nats.auth.tokenKey }}
- name: NATS_TOKEN_FILE
  value: /etc/netbroker/nats-auth/{{ $v.nats.auth.tokenKey }}
{{- else if $v.nats.auth.credsKey }}
- name: NATS_CREDS_FILE
  value: /etc/netbroker/nats-auth/{{ $v.nats.auth.credsKey }}
{{- else }}
{{- fail "nats.auth.existingSecret is set: say which key holds the credentials (nats.auth.tokenKey or nats.auth.credsKey)" }}
{{- end }}
{{- end }}
{{- if $v.nats.tls.existingSecret }}
- name: NATS_CA_FILE
  value: /etc/netbroker/nats-tls/{{ $v.nats.tls.caKey }}
{{- if $v.nats.tls.certKey }}
- name: NATS_CERT_FILE
  value: /etc/netbroker/nats-tls/{{ $v.nats.tls.certKey }}
- name: NATS_KEY_FILE
  value: /etc/netbroker/nats-tls/{{ required "nats.tls.keyKey is required with nats.tls.certKey" $v.nats.tls.keyKey }}
{{- end }}
{{- end }}
{{- if eq $c "router-agent" }}
# Host network: the ops endpoint on the node's own address only, on a port of the agent's.
- name: OPS_HOST
  valueFrom:
    fieldRef:
      fieldPath: status.hostIP
- name: OPS_PORT
  value: {{ $v.routerAgent.opsPort | quote }}
{{- else }}
- name: OPS_HOST
  value: 0.0.0.0
- name: OPS_PORT
  value: "9090"
{{- end }}
- name: LOG_LEVEL
  value: {{ $v.config.logLevel | quote }}
{{- if eq $c "router-agent" }}
- name: AGENT_ID
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- else }}
- name: REPLICA_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end }}
{{- if has $c (list "api" "syncer" "mapper" "exposer") }}
- name: NETBROKER_ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $v.secrets.encryptionKeyKey }}
- name: VCLUSTER_SERVERS_ALLOWED
  value: {{ include "netbroker.csv" $v.config.vclusterServers.allowed | quote }}
- name: VCLUSTER_SERVERS_DENIED
  value: {{ include "netbroker.csv" $v.config.vclusterServers.denied | quote }}
- name: VCLUSTER_ALLOW_INSECURE_TLS
  value: {{ $v.config.vclusterServers.allowInsecureTLS | quote }}
{{- end }}
{{- if has $c (list "api" "provisioner") }}
- name: DEFAULT_PROJECT_POOL
  value: {{ $v.config.ipam.defaultProjectPool | quote }}
- name: EGRESS_POOL_CLOUD
  value: {{ $v.config.ipam.egressPoolCloud | quote }}
- name: EGRESS_POOL_PUBLIC
  value: {{ $v.config.ipam.egressPoolPublic | quote }}
{{- end }}
{{- if eq $c "api" }}
- name: HTTP_HOST
  value: 0.0.0.0
- name: HTTP_PORT
  value: "8080"
- name: NETBROKER_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $v.secrets.adminTokenKey }}
- name: RATE_LIMIT_PER_SECOND
  value: {{ $v.config.api.rateLimitPerSecond | quote }}
- name: RATE_LIMIT_BURST
  value: {{ $v.config.api.rateLimitBurst | quote }}
- name: BODY_LIMIT_BYTES
  value: {{ $v.config.api.bodyLimitBytes | quote }}
- name: READ_STALENESS_MS
  value: {{ $v.config.api.readStalenessMs | quote }}
{{- else if eq $c "ipam" }}
- name: HOST_POD_CIDRS
  value: {{ include "netbroker.csv" $v.config.host.podCIDRs | quote }}
- name: HOST_SERVICE_CIDRS
  value: {{ include "netbroker.csv" $v.config.host.serviceCIDRs | quote }}
- name: IPAM_POOLS
  value: {{ include "netbroker.ipamPools" .root | quote }}
{{- else if eq $c "provisioner" }}
- name: INTERNAL_CIDRS
  value: {{ include "netbroker.csv" $v.config.internalCIDRs | quote }}
- name: DNS_NAMESPACE
  value: {{ $v.config.dns.namespace | quote }}
- name: DNS_POD_LABELS
  value: {{ $pairs := list }}{{ range $k, $val := $v.config.dns.podLabels }}{{ $pairs = append $pairs (printf "%s=%s" $k $val) }}{{ end }}{{ include "netbroker.csv" $pairs | quote }}
{{- else if eq $c "syncer" }}
- name: HOST_SERVICE_CIDR
  value: {{ first $v.config.host.serviceCIDRs | quote }}
- name: ANNOTATION_POLICY
  value: {{ toJson $v.config.annotationPolicy | quote }}
{{- else if eq $c "exposer" }}
- name: EIP_POOL_CLOUD
  value: {{ $v.config.ipam.egressPoolCloud | quote }}
- name: EIP_POOL_PUBLIC
  value: {{ $v.config.ipam.egressPoolPublic | quote }}
- name: LB_PROVIDER
  value: {{ $v.config.loadBalancer.provider | quote }}
{{- range $name, $key := dict "LB_CLASS" "class" "LB_ADDRESS_POOL" "metallbAddressPool" "LB_OPENSTACK_CLASS" "openstackClass" "LB_OVH_CLASS" "ovhClass" "LB_OVH_FLAVOR" "ovhFlavor" }}
{{- with index $v.config.loadBalancer $key }}
- name: {{ $name }}
  value: {{ . | quote }}
{{- end }}
{{- end }}
- name: ENTRY_NAMESPACE
  value: {{ $v.config.entryNamespace | quote }}
{{- else if eq $c "router" }}
{{- $r := $v.config.router }}
- name: BACKENDS
  value: {{ include "netbroker.csv" $r.backends | quote }}
- name: KUBE_OVN_VPC
  value: {{ $r.kubeOvnVpc | quote }}
- name: LINK_POOL
  value: {{ $r.linkPool.name | quote }}
- name: LINK_PREFIX_LENGTH
  value: {{ $r.linkPool.prefixLength | quote }}
- name: HOST_POD_CIDRS
  value: {{ include "netbroker.csv" $v.config.host.podCIDRs | quote }}
- name: HOST_SERVICE_CIDRS
  value: {{ include "netbroker.csv" $v.config.host.serviceCIDRs | quote }}
- name: RESERVED_CIDRS
  value: {{ include "netbroker.csv" $r.reservedCIDRs | quote }}
- name: MAX_ROUTES
  value: {{ $r.maxRoutes | quote }}
- name: MAX_PEERINGS_PER_PROJECT
  value: {{ $r.maxPeeringsPerProject | quote }}
- name: AGENT_STALE_MS
  value: {{ $r.agentStaleMs | quote }}
- name: RESYNC_INTERVAL_MS
  value: {{ $r.resyncIntervalMs | quote }}
- name: LEASE_SECONDS
  value: {{ $r.leaseSeconds | quote }}
{{- else if eq $c "router-agent" }}
{{- $a := $v.config.routerAgent }}
- name: NETNS_PREFIX
  value: {{ $a.netnsPrefix | quote }}
- name: PROJECT_BRIDGE
  value: {{ $a.projectBridge | quote }}
{{- with $a.projectNetns }}
- name: PROJECT_NETNS
  value: {{ . | quote }}
{{- end }}
- name: PRIVATE_NETWORKS
  value: {{ toJson $a.privateNetworks | quote }}
- name: RESYNC_INTERVAL_MS
  value: {{ $a.resyncIntervalMs | quote }}
{{- end }}
{{- end -}}
