{{/*
Labels Helm's conventions add to every object's metadata (not to selectors
or pod templates, so a chart upgrade alone restarts nothing). These are the
only differences from deploy/ with default values (README.md, "One source").
*/}}
{{- define "nodenet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "nodenet.image" -}}
{{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end -}}

{{/*
nodenet's RBAC and admission policies name its namespace and service
accounts (system:serviceaccount:nodenet:nodenet-handler): the release must
live in namespace nodenet.
*/}}
{{- define "nodenet.checkNamespace" -}}
{{- if ne .Release.Namespace "nodenet" -}}
{{- fail (printf "nodenet installs into the namespace nodenet only (its RBAC and admission policies name it), not %q: helm install ... --namespace nodenet" .Release.Namespace) -}}
{{- end -}}
{{- end -}}
