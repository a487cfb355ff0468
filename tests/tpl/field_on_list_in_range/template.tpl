{{ range .l }}{{ .x }}{{ end }}
