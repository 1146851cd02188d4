{{/*
Wiring of this release into Argo Rollouts and Flagger: the URLs of its own Service, the
template names, and the spec of the Argo Rollouts (Cluster)AnalysisTemplates. The stand-alone
files in analysis-templates/argo/ are this spec rendered with the default names (release
canary-judge in namespace canary-judge, no auth): test/chart/wiring.test.ts compares them.
*/}}

{{/* This release's Service, as Argo's and Flagger's controllers reach it from any namespace. */}}
{{- define "canary-judge.baseUrl" -}}
{{ printf "http://%s.%s.svc.cluster.local:%d" (include "canary-judge.fullname" .) .Release.Namespace (int .Values.service.port) }}
{{- end }}

{{/* Names of the gate and of the harm watch (the shipped names for release canary-judge). */}}
{{- define "canary-judge.argo.gateName" -}}
{{ include "canary-judge.fullname" . }}
{{- end }}
{{- define "canary-judge.argo.watchName" -}}
{{ include "canary-judge.fullname" . | trunc 57 | trimSuffix "-" }}-watch
{{- end }}

{{/*
The Secret and key the templates' `token` arg reads, "" without AUTH_TOKEN. Argo resolves a
secretKeyRef in the AnalysisRun's namespace, the Rollout's, for a ClusterAnalysisTemplate too
(argo-rollouts analysis/analysis.go, resolveArgs): a copy must live there.
*/}}
{{- define "canary-judge.argo.tokenSecretName" -}}
{{- if and .Values.auth.existingSecret .Values.auth.tokenKey }}
{{- .Values.argo.tokenSecret.name | default .Values.auth.existingSecret }}
{{- end }}
{{- end }}
{{- define "canary-judge.argo.tokenSecretKey" -}}
{{- if and .Values.auth.existingSecret .Values.auth.tokenKey }}
{{- .Values.argo.tokenSecret.key | default .Values.auth.tokenKey }}
{{- end }}
{{- end }}

{{/*
The spec of the gate (gate: true) or of the harm watch (gate: false), called with
(dict "root" $ "gate" true). See analysis-templates/argo/analysis-template.yaml and
analysis-template-watch.yaml for what each limit does.
*/}}
{{- define "canary-judge.argo.spec" -}}
{{- $root := .root }}
{{- if and (eq (include "canary-judge.analysisProfile" $root) (quote "ml-quality")) (not $root.Values.argo.sideVersions) }}
{{- fail "analysisProfile ml-quality with Argo templates needs argo.sideVersions=true: its labelled accuracy is read from a feedback job's series, told apart by their version label, not by the pods' template hashes (without the version every analysis would be a 400)" }}
{{- end }}
{{- $token := include "canary-judge.argo.tokenSecretName" $root }}
args:
  - name: namespace
  - name: rollout
  - name: canary-hash
  - name: stable-hash
  - name: canary-service
  - name: stable-service
  - name: canary-weight
    value: ""
  - name: max-age
    value: 6h
  - name: timeline-step
    value: 1m
  - name: profile
    value: {{ include "canary-judge.analysisProfile" $root }}
  {{- if $root.Values.argo.sideVersions }}
  - name: stable-version
  - name: canary-version
  {{- end }}
  - name: reporter
    value: destination
  - name: judge-url
    value: {{ printf "%s/v1/analyze" (include "canary-judge.baseUrl" $root) }}
  {{- if $token }}
  - name: token
    valueFrom:
      secretKeyRef:
        name: {{ $token }}
        key: {{ include "canary-judge.argo.tokenSecretKey" $root }}
  {{- end }}
metrics:
  - name: {{ ternary "canary-judge" "canary-judge-watch" .gate }}
    interval: 1m
    count: 10
    {{- if .gate }}
    consecutiveSuccessLimit: 1
    {{- end }}
    failureLimit: 0
    {{- if .gate }}
    inconclusiveLimit: 9
    {{- end }}
    consecutiveErrorLimit: 4
    {{- if .gate }}
    successCondition: result[0] == "pass"
    {{- end }}
    failureCondition: result[0] == "fail"
    provider:
      web:
        method: POST
        url: {{ `"{{args.judge-url}}"` }}
        {{- if $token }}
        headers:
          - key: Authorization
            value: {{ `"Bearer {{args.token}}"` }}
        {{- end }}
        timeoutSeconds: 10
        jsonPath: "{$.summary}"
        jsonBody:
          profile: {{ `"{{args.profile}}"` }}
          reporter: {{ `"{{args.reporter}}"` }}
          since: canary
          maxAge: {{ `"{{args.max-age}}"` }}
          timelineStep: {{ `"{{args.timeline-step}}"` }}
          expectedCanaryShare: {{ `"{{args.canary-weight}}"` }}
          trafficLookback: {{ `"{{args.timeline-step}}"` }}
          exclude:
            x_canary_version: v2
          rollout:
            namespace: {{ `"{{args.namespace}}"` }}
            name: {{ `"{{args.rollout}}"` }}
          labels:
            destination_workload_namespace: {{ `"{{args.namespace}}"` }}
          baseline:
            revision: {{ `"{{args.stable-hash}}"` }}
            {{- if $root.Values.argo.sideVersions }}
            labels:
              destination_version: {{ `"{{args.stable-version}}"` }}
            {{- end }}
            sourceLabels:
              destination_service_name: {{ `"{{args.stable-service}}"` }}
              destination_service_namespace: {{ `"{{args.namespace}}"` }}
          canary:
            revision: {{ `"{{args.canary-hash}}"` }}
            {{- if $root.Values.argo.sideVersions }}
            labels:
              destination_version: {{ `"{{args.canary-version}}"` }}
            {{- end }}
            sourceLabels:
              destination_service_name: {{ `"{{args.canary-service}}"` }}
              destination_service_namespace: {{ `"{{args.namespace}}"` }}
{{- end }}

{{/* The namespaces that get the namespaced AnalysisTemplates (default: the release's). */}}
{{- define "canary-judge.argo.namespaces" -}}
{{- $list := .Values.argo.analysisTemplates.namespaces | default (list .Release.Namespace) }}
{{- toJson $list }}
{{- end }}

{{/* The Flagger webhook URL of one hook type, with the path secret placeholder when set. */}}
{{- define "canary-judge.flaggerUrl" -}}
{{- $root := index . 0 }}
{{- if and $root.Values.auth.existingSecret $root.Values.auth.flaggerPathSecretKey }}
{{- printf "%s/v1/flagger/<FLAGGER_PATH_SECRET>/%s" (include "canary-judge.baseUrl" $root) (index . 1) }}
{{- else }}
{{- printf "%s/v1/flagger/%s" (include "canary-judge.baseUrl" $root) (index . 1) }}
{{- end }}
{{- end }}
