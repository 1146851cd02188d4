{{/* Chart name, at most 63 characters. */}}
{{- define "canary-judge.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, or release-chart when they differ. */}}
{{- define "canary-judge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if eq .Release.Name (include "canary-judge.name" .) }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "canary-judge.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Selector labels: stable across upgrades, shared by every selector in the chart. */}}
{{- define "canary-judge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "canary-judge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Common labels. */}}
{{- define "canary-judge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "canary-judge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Value combinations the schema cannot express (JSON Schema compares no two values): refused
here so that `helm install` stops instead of deploying something that cannot work.
*/}}
{{- define "canary-judge.validate" -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (add (div (add (int .Values.config.shutdownTimeoutMs) (int .Values.config.drainGraceMs)) 1000) (int .Values.preStopSleepSeconds)) }}
{{- fail "terminationGracePeriodSeconds must exceed preStopSleepSeconds + (config.drainGraceMs + config.shutdownTimeoutMs) / 1000" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- with .Values.podDisruptionBudget }}
{{- if .enabled }}
{{- $replicas := ternary (int $.Values.autoscaling.minReplicas) (int $.Values.replicaCount) $.Values.autoscaling.enabled }}
{{- $min := .minAvailable | default 0 }}
{{- /* A PDB that keeps every pod blocks every node drain (kubectl drain waits forever). */}}
{{- if kindIs "string" $min }}
{{- if and (gt $replicas 0) (eq $min "100%") }}
{{- fail "podDisruptionBudget.minAvailable 100% blocks every node drain; use a lower share" }}
{{- end }}
{{- else if and (gt $replicas 0) (ge (int $min) $replicas) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be lower than the replica count (%d), or no pod may ever be evicted and node drains block; raise replicaCount (or autoscaling.minReplicas) or disable the PDB" (int $min) $replicas) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and .Values.auth.existingSecret (not .Values.auth.tokenKey) (not .Values.auth.flaggerPathSecretKey) }}
{{- fail "auth.existingSecret needs auth.tokenKey and/or auth.flaggerPathSecretKey" }}
{{- end }}
{{- /* Settings that would otherwise be ignored without a word. */}}
{{- with .Values.argo }}
{{- if and (or .tokenSecret.name .tokenSecret.key) (not (and $.Values.auth.existingSecret $.Values.auth.tokenKey)) }}
{{- fail "argo.tokenSecret applies only with auth.existingSecret and auth.tokenKey (AUTH_TOKEN): without them the templates send no token" }}
{{- end }}
{{- if and .analysisTemplates.namespaces (not .analysisTemplates.enabled) }}
{{- fail "argo.analysisTemplates.namespaces is set but argo.analysisTemplates.enabled is false: nothing would be rendered there" }}
{{- end }}
{{- end }}
{{- /* A mount of a volume the pod does not have would only fail at the kubelet (pod stuck in ContainerCreating). */}}
{{- $volumes := list "tmp" }}
{{- if .Values.profiles }}{{- $volumes = append $volumes "profiles" }}{{- end }}
{{- range .Values.extraVolumes }}
{{- if has .name $volumes }}
{{- fail (printf "extraVolumes: the volume name %q is taken (the chart's own volumes are tmp and profiles, and names must be unique)" .name) }}
{{- end }}
{{- $volumes = append $volumes .name }}
{{- end }}
{{- range .Values.extraVolumeMounts }}
{{- if not (has .name $volumes) }}
{{- fail (printf "extraVolumeMounts: %q mounts the volume %q, which is not among extraVolumes (%s)" .mountPath .name (join ", " $volumes)) }}
{{- end }}
{{- if or (eq .mountPath "/tmp") (eq .mountPath "/etc/canary-judge/profiles.yaml") }}
{{- fail (printf "extraVolumeMounts: %q is where the chart mounts its own volume; choose another path" .mountPath) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The profiles file the service reads (PROFILES_FILE); its hash rolls the pods on change. */}}
{{- define "canary-judge.profilesFile" -}}
{{ toYaml (dict "profiles" .Values.profiles) }}
{{- end }}

{{/*
The profile the rendered Argo templates (their `profile` arg's default) and the Flagger webhook
metadata in NOTES.txt name, quoted: a built-in profile (src/profiles/profiles.ts, builtInProfiles;
test/chart/analysis-profile.test.ts keeps this list equal to it) or one of `profiles`. Any
other name would answer 400 at every analysis: refused at render instead.
*/}}
{{- define "canary-judge.analysisProfile" -}}
{{- $builtIn := list "istio-model-serving" "ml-quality" "default" }}
{{- $name := .Values.analysisProfile | default "default" }}
{{- if not (or (has $name $builtIn) (hasKey (.Values.profiles | default dict) $name)) }}
{{- fail (printf "analysisProfile: %q is neither a built-in profile (%s) nor one of profiles" $name (join ", " $builtIn)) }}
{{- end }}
{{- $name | quote }}
{{- end }}

{{/* The image of the service (also used by the `helm test` Pod, which needs only node). */}}
{{- define "canary-judge.image" -}}
{{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
