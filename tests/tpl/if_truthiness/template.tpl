{{ range .vals }}{{ if . }}T{{ else }}F{{ end }}{{ end }}
