{{/*
nodenet.workload: a workload of deploy/ (files/handler.yaml or
files/controller.yaml, links) with the values that concern it put in. What
no value names stays as deploy/ has it (so a change there reaches the chart
with no step); a value whose place deploy/ no longer has is caught by
test/cluster/chart.test.ts. Arguments: dict "root" $ "file" PATH "values"
.Values.handler|controller "podFields" (the pod spec fields these values
hold) "args" (dict FLAG VALUE: "--flag" followed by its value, or
"--flag=value", replaced in every container's args).
*/}}
{{- define "nodenet.workload" -}}
{{- $root := .root }}
{{- $v := .values }}
{{- $object := $root.Files.Get .file | fromYaml }}
{{- if or (not $object) (hasKey $object "Error") }}{{ fail (printf "%s: %v (the chart's files/ link to deploy/)" .file ($object.Error | default "missing")) }}{{ end }}
{{- $labels := include "nodenet.labels" $root | fromYaml }}
{{- $_ := set $object.metadata "labels" (mustMerge (deepCopy ($object.metadata.labels | default dict)) $labels) }}
{{- $_ := set $object.metadata "namespace" $root.Release.Namespace }}
{{- $template := $object.spec.template }}
{{- $_ := set $template.metadata "labels" (mustMerge (deepCopy ($template.metadata.labels | default dict)) ($v.podLabels | default dict)) }}
{{- with $v.podAnnotations }}{{ $_ := set $template.metadata "annotations" (mustMerge (deepCopy ($template.metadata.annotations | default dict)) .) }}{{ end }}
{{- $pod := $template.spec }}
{{- /* Set from the value; an empty or null value (Helm drops a null key) removes the field. */ -}}
{{- range $field := .podFields }}
{{- if index $v $field }}{{ $_ := set $pod $field (index $v $field) }}{{ else }}{{ $_ := unset $pod $field }}{{ end }}
{{- end }}
{{- with $root.Values.imagePullSecrets }}{{ $_ := set $pod "imagePullSecrets" . }}{{ end }}
{{- if hasKey $v "terminationGracePeriodSeconds" }}{{ $_ := set $pod "terminationGracePeriodSeconds" $v.terminationGracePeriodSeconds }}{{ end }}
{{- if hasKey $v "replicas" }}{{ $_ := set $object.spec "replicas" $v.replicas }}{{ end }}
{{- if hasKey $v "maxUnavailable" }}{{ $_ := set $object.spec.updateStrategy.rollingUpdate "maxUnavailable" $v.maxUnavailable }}{{ end }}
{{- if and (hasKey $v "installBoot") (not $v.installBoot) }}
{{- $_ := unset $pod "initContainers" }}
{{- $volumes := list }}
{{- range $pod.volumes }}{{ if ne .name "host-opt" }}{{ $volumes = append $volumes . }}{{ end }}{{ end }}
{{- $_ := set $pod "volumes" $volumes }}
{{- end }}
{{- $image := include "nodenet.image" $root }}
{{- $replace := .args }}
{{- range $kind := list "initContainers" "containers" }}
{{- range $c := (index $pod $kind | default list) }}
{{- $_ := set $c "image" $image }}
{{- $_ := set $c "imagePullPolicy" $root.Values.image.pullPolicy }}
{{- if eq $kind "containers" }}
{{- range $field := list "resources" "readinessProbe" "livenessProbe" }}
{{- if index $v $field }}{{ $_ := set $c $field (index $v $field) }}{{ else }}{{ $_ := unset $c $field }}{{ end }}
{{- end }}
{{- $args := list }}
{{- $previous := "" }}
{{- range $a := $c.args | default list }}
{{- $a = toString $a }}
{{- $flag := regexReplaceAll "=.*" $a "" }}
{{- if hasKey $replace $previous }}{{ $args = append $args (toString (index $replace $previous)) }}
{{- else if and (contains "=" $a) (hasKey $replace $flag) }}{{ $args = append $args (printf "%s=%v" $flag (index $replace $flag)) }}
{{- else }}{{ $args = append $args $a }}{{ end }}
{{- $previous = $a }}
{{- end }}
{{- $_ := set $c "args" (concat $args ($v.extraArgs | default list)) }}
{{- with $v.extraEnv }}{{ $_ := set $c "env" (concat ($c.env | default list) .) }}{{ end }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $object }}
{{- end -}}
