{{- define "helpers.fullname" -}}{{ .Release.Name }}-{{ .Values.name }}{{- end -}}
{{- define "helpers.labels" -}}
app: {{ include "helpers.fullname" .context }}
component: {{ .component }}
{{- with .context.Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
{{- define "helpers.file" -}}{{ .Template.Name }}{{- end -}}
{{- define "helpers.base" -}}{{ .context.Template.BasePath }}/{{ base .context.Template.Name }}{{- end -}}
{{- define "helpers.size" -}}{{ toJson (dict "a" (list (dict "b" .Template))) | len }}{{- end -}}
{{- define "helpers.ranged" -}}{{ range $k, $v := . }}{{ if eq $k "Template" }}{{ $v.Name }}{{ end }}{{ end }}{{- end -}}
{{- define "helpers.got" -}}{{ (get . "Template").Name }}{{- end -}}
{{- define "helpers.indexed" -}}{{ (index . "Template").Name }}{{- end -}}
{{- define "helpers.local" -}}{{ $d := dict "n" .Values.name }}{{ $_ := set $d "m" (include "helpers.fullname" .) }}{{ toJson $d }}{{- end -}}
