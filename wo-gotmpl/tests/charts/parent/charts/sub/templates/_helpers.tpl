{{- define "common.name" -}}sub-{{ .Chart.Name }}{{- end -}}
