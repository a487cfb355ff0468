{{ range $v := .l }}{{ $v }}{{ end }}
