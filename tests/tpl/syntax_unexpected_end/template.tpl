a
{{ end }}
