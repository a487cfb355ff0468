{{ range .groups }}{{ .name }}:{{ range .items }}{{ . }}{{ end }};{{ end }}
