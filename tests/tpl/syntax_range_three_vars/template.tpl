{{ range $a, $b, $c := . }}{{ end }}
