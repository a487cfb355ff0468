{{ range .l }}
{{ .name }}{{ .other }}
{{ end }}
