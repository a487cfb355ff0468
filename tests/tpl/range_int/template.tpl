{{ range 3 }}{{ . }}{{ end }}{{ range $i := 2 }}[{{ $i }}]{{ end }}
