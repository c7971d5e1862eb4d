{{/* Names: <release>-<chart> unless overridden, cut to 40 so "<fullname>-provisioner" stays a valid name. */}}
{{- define "netbroker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "netbroker.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The Deployments, in start order (the router when enabled); the ones that use the host cluster's
API (the router only with the kube-ovn backend); the ones whose writes the admission policy keeps
in project namespaces (the router's only write is a patch of cluster-scoped Kube-OVN Vpcs).
The router agent is a DaemonSet of its own (router-agent.yaml).
*/}}
{{- define "netbroker.components" -}}api ipam provisioner syncer mapper exposer{{ if .Values.router.enabled }} router{{ end }}{{- end -}}
{{- define "netbroker.kubeComponents" -}}provisioner syncer mapper exposer{{ if and .Values.router.enabled (has "kube-ovn" .Values.config.router.backends) }} router{{ end }}{{- end -}}
{{- define "netbroker.projectWriters" -}}provisioner syncer mapper exposer{{- end -}}

{{- define "netbroker.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "netbroker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: netbroker
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "api"). */}}
{{- define "netbroker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netbroker.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "netbroker.componentLabels" -}}
{{ include "netbroker.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "netbroker.componentName" -}}
{{- printf "%s-%s" (include "netbroker.fullname" .root) .component -}}
{{- end -}}

{{/* A component's workload values: defaults, overridden by the component's own block. */}}
{{- define "netbroker.workload" -}}
{{- $own := omit (index .root.Values .component) "service" "ingress" "enabled" -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $own)) -}}
{{- end -}}

{{- define "netbroker.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "netbroker.routerAgentImage" -}}
{{- $i := .Values.routerAgent.image -}}
{{- if $i.digest -}}
{{- printf "%s@%s" $i.repository $i.digest -}}
{{- else -}}
{{- printf "%s:%s" $i.repository (default .Chart.AppVersion $i.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The ipam's pools (IPAM_POOLS): config.ipam.pools, plus the router's link pool when the router is
enabled — unless config.ipam.pools already has a pool of that name, which must then be a prefix
pool and the link pool's prefixes left empty.
*/}}
{{- define "netbroker.ipamPools" -}}
{{- $pools := .Values.config.ipam.pools -}}
{{- if .Values.router.enabled -}}
{{- $link := .Values.config.router.linkPool -}}
{{- $own := dict -}}
{{- range $pools }}{{- if eq .name $link.name }}{{- $own = . }}{{- end }}{{- end -}}
{{- if $own -}}
{{- if ne $own.kind "prefix" -}}
{{- fail (printf "config.ipam.pools: the router's link pool %s must be a prefix pool" $link.name) -}}
{{- end -}}
{{- if $link.prefixes -}}
{{- fail (printf "config.router.linkPool.prefixes: config.ipam.pools already defines the pool %s; leave the prefixes empty, or use another name" $link.name) -}}
{{- end -}}
{{- else -}}
{{- if not $link.prefixes -}}
{{- fail "config.router.linkPool.prefixes is required with router.enabled: the CIDRs peering links get their addresses from, free in your network (chart README, \"Choosing the link pool\"), e.g. [100.127.0.0/20]" -}}
{{- end -}}
{{- $pools = append $pools (dict "name" $link.name "kind" "prefix" "prefixes" $link.prefixes "defaultPrefixLength" $link.prefixLength) -}}
{{- end -}}
{{- end -}}
{{- toJson $pools -}}
{{- end -}}

{{- define "netbroker.secretName" -}}
{{- default (printf "%s-secrets" (include "netbroker.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "netbroker.natsUrl" -}}
{{- $url := required "nats.url is required: the NATS JetStream netbroker keeps its state in (e.g. nats://nats.nats.svc:4222)" .Values.nats.url -}}
{{- if regexMatch "://[^/,]*@" $url -}}
{{- fail "nats.url must not carry credentials: put them in a Secret and set nats.auth.existingSecret" -}}
{{- end -}}
{{- $url -}}
{{- end -}}

{{/* The restricted pod security every netbroker pod runs with. */}}
{{- define "netbroker.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "netbroker.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "netbroker.csv" -}}
{{- join "," . -}}
{{- end -}}
