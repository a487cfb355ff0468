name: {{ .Name }}
{{- if eq .Params.enabled "true" }}
replicas: {{ .Params.replicas | printf "%s" }}
{{- end }}
{{ range $i, $v := .Params.list }}{{ $i }}={{ $v }} {{ else }}none{{ end }}
