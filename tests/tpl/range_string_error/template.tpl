{{ range .s }}{{ . }}{{ end }}
