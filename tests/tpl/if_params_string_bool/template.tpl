{{ if eq .Params.enabled "true" }}enabled{{ end }}
{{- if .Params.empty }}never{{ end }}
